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

    /**
     * §7 CORS: a polling answer to a browser origin that §8.5 allowed names that origin and allows credentials
     * (cookies carry Immich's token). {@code origin} null: no CORS headers. Returns {@code r}.
     */
    static FullHttpResponse cors(FullHttpResponse r, String origin) {
        if (origin != null) {
            r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
                    .add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        return r;
    }

    /** §7 CORS preflight ({@code OPTIONS}) for an allowed origin: 204, the polling methods and the asked-for headers. */
    static FullHttpResponse preflight(String origin, String requestHeaders) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
                .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (requestHeaders != null) {
            r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, requestHeaders);
        }
        return cors(r, origin);
    }

    /** The same answer as {@link #error}, before a WebSocket handshake. */
    static io.herald.protocol.Refusal refusal(int code) {
        return new io.herald.protocol.Refusal(code == FORBIDDEN ? 403 : 400, body(code));
    }

    private static String body(int code) {
        return "{\"code\":" + code + ",\"message\":\"" + MESSAGES[code] + "\"}";
    }

    static FullHttpResponse error(ByteBufAllocator alloc, int code) {
        String body = body(code);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                code == FORBIDDEN ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.BAD_REQUEST,
                ByteBufUtil.writeUtf8(alloc, body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the connection closes after a refusal
        return r;
    }
}
