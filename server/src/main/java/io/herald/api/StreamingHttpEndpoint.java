package io.herald.api;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An HTTP endpoint whose answer is a stream it writes itself for as long as it lasts (the admin page's topic tail).
 * The router calls {@link #open} on the request's loop and either writes the refusal it returns, or puts the returned
 * handler in its own place: from then on that handler owns the connection (it writes the response, head and chunks,
 * and ends it), the request timeout is gone, and anything else the client sends on it is discarded.
 */
public interface StreamingHttpEndpoint extends HttpEndpoint {
    /** Exactly one of {@code refusal} (a complete answer) and {@code stream} (the handler that takes over). */
    record Opened(FullHttpResponse refusal, ChannelHandler stream) {
        public static Opened refused(FullHttpResponse refusal) {
            return new Opened(refusal, null);
        }

        public static Opened streaming(ChannelHandler stream) {
            return new Opened(null, stream);
        }
    }

    Opened open(FullHttpRequest request, ByteBufAllocator alloc);

    /** Not reached: the router opens a streaming endpoint instead. */
    @Override
    default CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc) {
        return CompletableFuture.completedFuture(HttpResponses.error(alloc, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                "internal_error", "internal error"));
    }
}
