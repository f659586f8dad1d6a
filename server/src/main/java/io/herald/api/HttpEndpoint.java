package io.herald.api;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;

import java.util.concurrent.CompletionStage;

/**
 * One HTTP endpoint of §3/§9. Called on an event loop; it must read what it needs of the request before
 * returning (the router releases it) and must not block. The router writes the response. The request's method
 * and body size are within what the endpoint's route declares ({@code RouteSpec}): the HTTP stage answered
 * 405 or 413 to anything else.
 */
public interface HttpEndpoint {
    CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc);

    /**
     * {@link #handle(FullHttpRequest, ByteBufAllocator)}, for an endpoint that keeps state on the request's loop (a
     * long-polling session lives where its handshake arrived). An answer may come much later; if the client goes
     * first the router cancels the stage, and a response completed after that is released by whoever completes it.
     * A response with {@code Connection: close} ends the connection once written.
     */
    default CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc,
                                                     io.netty.util.concurrent.EventExecutor loop) {
        return handle(request, alloc);
    }

    /** The same, knowing the peer's IP address ({@code remoteAddr}, may be null), for endpoints that authenticate (§12). */
    default CompletionStage<FullHttpResponse> handle(FullHttpRequest request, ByteBufAllocator alloc,
                                                     io.netty.util.concurrent.EventExecutor loop, String remoteAddr) {
        return handle(request, alloc, loop);
    }
}
