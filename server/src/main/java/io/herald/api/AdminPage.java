package io.herald.api;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One file of the admin page ({@code /admin}), served from the jar: plain HTML, CSS and JavaScript under
 * {@code src/main/resources/admin/}, no build step and nothing from a CDN. The page itself holds no secret and needs no
 * token; everything it shows comes from the admin APIs, which do. A strict Content-Security-Policy lets it run only
 * its own script and talk only to this origin, and no other site may frame it.
 */
public final class AdminPage implements HttpEndpoint {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final byte[] body;
    private final String contentType;

    private AdminPage(byte[] body, String contentType) {
        this.body = body;
        this.contentType = contentType;
    }

    /** The resource {@code admin/<file>}, read now: a jar built without it does not start. */
    public static AdminPage file(String file, String contentType) {
        try (InputStream in = AdminPage.class.getResourceAsStream("/admin/" + file)) {
            if (in == null) {
                throw new IllegalStateException("admin page resource missing from the jar: admin/" + file);
            }
            return new AdminPage(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CSP)
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                .set("Referrer-Policy", "no-referrer");
        return CompletableFuture.completedFuture(r);
    }
}
