package io.herald.bench.peers;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** The HTTP side the Java peers share: command-line ports and {@code POST /api/v1/publish} with no auth. */
public final class PeerHttp {
    public static final String PUBLISH_PATH = "/api/v1/publish";
    /** §3's batch limit, so that the same load fits every server. */
    public static final int MAX_BODY = 4 * 1024 * 1024;

    private PeerHttp() {
    }

    /** Delivers one event of a publish request to the subscribers of its topic. */
    @FunctionalInterface
    public interface Publisher {
        void publish(PeerEvent event);
    }

    /** The port: first argument, else the environment variable, else the default. */
    public static int port(String[] args, String env, int fallback) {
        String v = args.length > 0 ? args[0] : System.getenv(env);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
    }

    /** The bind address: second argument, else {@code PEER_BIND}, else loopback. */
    public static String bind(String[] args) {
        String v = args.length > 1 ? args[1] : System.getenv("PEER_BIND");
        return v == null || v.isBlank() ? "127.0.0.1" : v.trim();
    }

    /** True when the request is for the publish API (any method). */
    public static boolean isPublish(FullHttpRequest req) {
        return new QueryStringDecoder(req.uri()).path().equals(PUBLISH_PATH);
    }

    /** Answers a publish request: 202 {"accepted":n}, 400, or 405. Does not release {@code req}. */
    public static void handlePublish(ChannelHandlerContext ctx, FullHttpRequest req, Publisher publisher) {
        if (!HttpMethod.POST.equals(req.method())) {
            respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, error("method_not_allowed", "use POST"));
            return;
        }
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        List<PeerEvent> events;
        try {
            events = PublishBodies.parse(body);
        } catch (PublishBodies.BadBody e) {
            respond(ctx, req, HttpResponseStatus.BAD_REQUEST, error("invalid_request", e.getMessage()));
            return;
        }
        for (PeerEvent event : events) {
            publisher.publish(event);
        }
        respond(ctx, req, HttpResponseStatus.ACCEPTED, "{\"accepted\":" + events.size() + "}");
    }

    public static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String json) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var written = ctx.writeAndFlush(res);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String error(String code, String message) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message.replace("\"", "'") + "\"}}";
    }
}
