package io.herald.protocol.socketio;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Engine.IO v4 constants and the reference server's error answers (HTTP 400 with {@code {"code","message"}}). */
final class EngineIo {
    static final int UNKNOWN_TRANSPORT = 0;
    static final int UNKNOWN_SID = 1;
    static final int BAD_HANDSHAKE_METHOD = 2;
    static final int BAD_REQUEST = 3;
    static final int FORBIDDEN = 4;
    static final int UNSUPPORTED_PROTOCOL_VERSION = 5;

    private static final String[] MESSAGES = {"Transport unknown", "Session ID unknown", "Bad handshake method",
        "Bad request", "Forbidden", "Unsupported protocol version"};

    /** Polling payloads join packets with the record separator (Engine.IO v4). */
    static final char SEPARATOR = '\u001e';

    private EngineIo() {
    }

    static FullHttpResponse error(ByteBufAllocator alloc, int code) {
        String body = "{\"code\":" + code + ",\"message\":\"" + MESSAGES[code] + "\"}";
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                code == FORBIDDEN ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.BAD_REQUEST,
                ByteBufUtil.writeUtf8(alloc, body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the connection closes after a refusal
        return r;
    }
}
