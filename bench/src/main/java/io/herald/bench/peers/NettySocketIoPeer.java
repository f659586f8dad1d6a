package io.herald.bench.peers;

import com.corundumstudio.socketio.Configuration;
import com.corundumstudio.socketio.SocketIOChannelInitializer;
import com.corundumstudio.socketio.SocketIOServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.Epoll;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;

/**
 * The netty-socketio peer: a Socket.IO server as a Java user would write it with netty-socketio. A client
 * joins the room named by the {@code topic} query parameter of its handshake; {@code POST /api/v1/publish}
 * (Herald's envelope, no auth) on the same port does {@code getRoomOperations(topic).sendEvent(event_type,
 * data)} for each event, which netty-socketio encodes for every client of the room.
 *
 * <p>netty-socketio 2.x speaks Engine.IO 2, 3 and 4 (the {@code EIO} query parameter chooses), so
 * {@code socket.io-client} 4.x connects with its defaults. Compression is off, as on every server compared.
 *
 * <p>{@code java -cp bench/target/herald-bench.jar io.herald.bench.peers.NettySocketIoPeer [port [bind]]}
 * (or {@code NETTY_SOCKETIO_PORT}, default 8082).
 */
public final class NettySocketIoPeer {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private NettySocketIoPeer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = PeerHttp.port(args, "NETTY_SOCKETIO_PORT", 8082);
        String bind = PeerHttp.bind(args);

        Configuration config = new Configuration();
        config.setHostname(bind);
        config.setPort(port);
        config.setUseLinuxNativeEpoll(Epoll.isAvailable());
        config.setWebsocketCompression(false);
        config.setHttpCompression(false);
        config.setMaxHttpContentLength(PeerHttp.MAX_BODY);
        config.getSocketConfig().setReuseAddress(true);
        config.getSocketConfig().setTcpNoDelay(true);
        config.getSocketConfig().setAcceptBackLog(4096);

        SocketIOServer server = new SocketIOServer(config);
        PublishHandler publish = new PublishHandler(server);
        server.setPipelineFactory(new SocketIOChannelInitializer() {
            @Override
            protected void addSocketioHandlers(ChannelPipeline pipeline) {
                super.addSocketioHandlers(pipeline);
                // Ahead of netty-socketio's handlers, so the publish API shares the Socket.IO port.
                pipeline.addBefore(PACKET_HANDLER, "bench-publish", publish);
            }
        });
        server.addConnectListener(client -> {
            String topic = client.getHandshakeData().getSingleUrlParam("topic");
            if (topic != null && !topic.isEmpty()) {
                client.joinRoom(topic);
            }
        });
        server.start();
        System.out.println("netty-socketio peer listening on " + bind + ":" + port + " ("
                + (config.isUseLinuxNativeEpoll() ? "epoll" : "nio") + "), Socket.IO /socket.io/?topic=T, publish "
                + PeerHttp.PUBLISH_PATH + " on the same port");
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "netty-socketio-stop"));
        new CountDownLatch(1).await();
    }

    /** Takes {@code POST /api/v1/publish} off netty-socketio's pipeline; passes everything else on. */
    @ChannelHandler.Sharable
    private static final class PublishHandler extends ChannelInboundHandlerAdapter {
        private final SocketIOServer server;

        PublishHandler(SocketIOServer server) {
            this.server = server;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest req && PeerHttp.isPublish(req)) {
                try {
                    PeerHttp.handlePublish(ctx, req, this::publish);
                } finally {
                    ReferenceCountUtil.release(req);
                }
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        private void publish(PeerEvent e) {
            var room = server.getRoomOperations(e.topic());
            if (e.data() == null) {
                room.sendEvent(e.eventType());
                return;
            }
            try {
                // netty-socketio serializes event arguments with Jackson databind; a tree keeps data as published.
                JsonNode data = MAPPER.readTree(e.data());
                room.sendEvent(e.eventType(), data);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
