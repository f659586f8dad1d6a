package io.herald.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientConnectionHandlerTest {
    private final List<Object> seen = new ArrayList<>();
    private final ClientConnectionHandler.Session session = new ClientConnectionHandler.Session() {
        @Override
        public void opened(Channel channel) {
            seen.add("opened");
        }

        @Override
        public void received(Channel channel, ServerMessage message) {
            seen.add(message);
        }
    };

    @Test
    void reportsTheUpgradeAndHandsOverMessages() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        ch.writeInbound(ServerMessage.CONNECTED, ServerMessage.PONG);
        assertEquals(List.of("opened", ServerMessage.CONNECTED, ServerMessage.PONG), seen);
        assertTrue(h.opened());
        assertNull(h.disconnect());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void echoesTheServersCloseCodeAndRecordsIt() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        ch.writeInbound(new ServerMessage.Close(4401, "token expired"));
        CloseWebSocketFrame echo = ch.readOutbound();
        try {
            assertEquals(4401, echo.statusCode(), "RFC 6455 §5.5.1: echo the code");
        } finally {
            echo.release();
        }
        assertFalse(ch.isOpen());
        assertEquals(new Disconnect(Disconnect.Kind.CLOSED_BY_SERVER, 4401, "token expired"), h.disconnect());
        assertTrue(h.disconnect().isAuthRefusal());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aCloseWithoutCodeIsAnsweredWithAnEmptyClose() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.writeInbound(new ServerMessage.Close(-1, ""));
        CloseWebSocketFrame echo = ch.readOutbound();
        try {
            assertEquals(0, echo.content().readableBytes());
        } finally {
            echo.release();
        }
        assertEquals(1005, h.disconnect().closeCode());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aLatePongClosesAsPongTimeout() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        ch.pipeline().fireUserEventTriggered(HeartbeatHandler.TIMEOUT);
        assertFalse(ch.isOpen());
        assertEquals(Disconnect.Kind.PONG_TIMEOUT, h.disconnect().kind());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anHttpRefusalOfTheUpgradeIsReportedWithItsStatus() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SERVICE_UNAVAILABLE,
                Unpooled.EMPTY_BUFFER);
        ch.pipeline().fireExceptionCaught(new WebSocketClientHandshakeException("refused", r));
        assertEquals(Disconnect.handshakeRefused(503), h.disconnect());
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theFirstRecordedReasonWins() {
        ClientConnectionHandler h = new ClientConnectionHandler(session);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        ch.writeInbound(new ServerMessage.Close(1001, "going away"));
        h.closeByClient(ch);
        assertEquals(Disconnect.closedByServer(1001, "going away"), h.disconnect());
        CloseWebSocketFrame echo = ch.readOutbound();
        echo.release();
        assertFalse(ch.finishAndReleaseAll());
    }
}
