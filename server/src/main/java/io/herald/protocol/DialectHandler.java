package io.herald.protocol;

import io.herald.logging.Logs;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The inbound side of a {@link WebSocketTransport}, after the frame decoder, UTF-8 validator and frame aggregator:
 * the JSON dialect router. It answers control frames (RFC 6455 §5.5), applies the §8.4 command rate and hands
 * complete messages to the connection's {@link Dialect}, on the connection's loop (which is this channel's, except
 * for a long-polling session that upgraded here from another loop). On a candidate transport (an Engine.IO upgrade
 * not switched yet, §7) messages go to the dialect's candidate hooks instead. Releases every frame it reads.
 */
public final class DialectHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(DialectHandler.class);

    private final Connection<?> connection;
    private final WebSocketTransport transport;
    private final boolean candidate;
    private boolean answeredCandidate;
    /**
     * Frames read here and not yet handled on the connection's loop, when that is another one; made on the first
     * such frame, so a connection on its own loop (nearly all) carries none.
     */
    private java.util.concurrent.atomic.AtomicInteger hopping;
    /** Frames on their way to another loop at which this channel stops reading. */
    static final int MAX_HOPPING = 16;
    private boolean opened;
    private ChannelHandlerContext ctx;
    /**
     * Frames that came before {@link #open()}: the client sent them right behind its upgrade request, before the
     * 101 went out. At most what one read held; handed to the dialect in order once the connection is open.
     */
    private ArrayDeque<WebSocketFrame> early;
    /** Early frames kept at most; a client that sends more before the 101 is out is not a client (§8.4). */
    static final int MAX_EARLY = 16;

    /** {@code transport} carries {@code connection}, or is a candidate to (see {@link Dialect#continues}). */
    public DialectHandler(Connection<?> connection, WebSocketTransport transport) {
        this.connection = connection;
        this.transport = transport;
        this.candidate = connection.transport() != transport;
    }

    public Connection<?> connection() {
        return connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropEarly();
    }

    /** Opens the connection (or the candidate), then hands it the frames that came early. Called once the 101 is written. */
    public void open() {
        opened = true;
        if (candidate) {
            connection.execute(() -> candidateOpened(connection));
        } else {
            connection.open();
        }
        ArrayDeque<WebSocketFrame> frames = early;
        early = null;
        if (frames != null) {
            for (WebSocketFrame f; (f = frames.poll()) != null; ) {
                try {
                    channelRead0(ctx, f);
                } finally {
                    f.release();
                }
            }
        }
    }

    /** The upgrade's outcome, once the 101 is written ({@code WebSocketUpgrade}): open, or close with the refusal. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Handshake h) {
            if (h.refusal() == null) {
                open();
            } else {
                connection.execute(() -> connection.close(h.refusal()));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private <S> void candidateOpened(Connection<S> c) {
        c.dialect().onCandidateOpen(c, transport);
    }

    private void dropEarly() {
        if (early != null) {
            early.forEach(WebSocketFrame::release);
            early = null;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame.rsv() != 0) {
            // RFC 6455 §5.2: with permessage-deflate the decoder lets RSV bits through and the inflater clears RSV1
            // of the messages it inflates; any bit still set here (RSV2, RSV3, RSV1 on a control frame) is unknown
            end(Disconnect.PROTOCOL_ERROR, true);
            return;
        }
        if (!opened && (candidate || !connection.isClosing())) {
            if (early != null && early.size() >= MAX_EARLY) {
                dropEarly();
                transport.fail(Disconnect.POLICY);
                return;
            }
            (early == null ? early = new ArrayDeque<>(2) : early).add(frame.retain());
            return;
        }
        if (candidate && !answeredCandidate && frame instanceof TextWebSocketFrame) {
            answeredCandidate = true; // once: a candidate floods nothing past its connection's bound
            connection.dialect().answerCandidate(transport, frame.content());
        }
        if (connection.eventLoop().inEventLoop()) {
            handle(connection, frame);
        } else {
            // Another loop's session (an upgraded long-polling one): hop there, and stop reading while too many
            // frames wait for it, so a client cannot grow that loop's queue (§8.3).
            java.util.concurrent.atomic.AtomicInteger inFlight =
                    hopping == null ? hopping = new java.util.concurrent.atomic.AtomicInteger() : hopping;
            if (inFlight.incrementAndGet() >= MAX_HOPPING) {
                ctx.channel().config().setAutoRead(false);
            }
            frame.retain();
            connection.execute(() -> {
                try {
                    handle(connection, frame);
                } finally {
                    frame.release();
                    if (inFlight.decrementAndGet() == 0 && !ctx.channel().config().isAutoRead()
                            && !connection.bound().readsPaused()) {
                        ctx.channel().config().setAutoRead(true);
                    }
                }
            });
        }
    }

    /** On the connection's loop. */
    private <S> void handle(Connection<S> c, WebSocketFrame frame) {
        boolean command = frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame
                || frame instanceof PingWebSocketFrame;
        CommandRateLimiter.Verdict verdict = c.received(command);
        if (frame instanceof CloseWebSocketFrame close) {
            onClose(c, close);
            return;
        }
        if (c.transport() != transport) {
            // a candidate's messages are held to the connection's rate too (§8.4): over it dropped, far over it closed
            if (verdict == CommandRateLimiter.Verdict.CLOSE) {
                transport.fail(Disconnect.RATE_LIMITED);
            } else if (verdict == CommandRateLimiter.Verdict.ALLOW) {
                onCandidateFrame(c, frame);
            }
            return;
        }
        if (c.isClosing()) {
            return;
        }
        if (verdict == CommandRateLimiter.Verdict.CLOSE) {
            c.close(Disconnect.RATE_LIMITED);
            return;
        }
        if (frame instanceof PingWebSocketFrame) {
            if (verdict == CommandRateLimiter.Verdict.ALLOW) {
                c.send(new PongWebSocketFrame(frame.content().retain()));
            }
        } else if (verdict == CommandRateLimiter.Verdict.LIMIT && command) {
            c.dialect().onRateLimited(c);
        } else if (frame instanceof TextWebSocketFrame) {
            c.dialect().onText(c, frame.content());
        } else if (frame instanceof BinaryWebSocketFrame) {
            c.dialect().onBinary(c, frame.content());
        }
        // Pong frames need no answer; they count as traffic for §8.1.
    }

    /** A frame on a transport the connection is not (or no longer) on: only text goes on, to the dialect. */
    private <S> void onCandidateFrame(Connection<S> c, WebSocketFrame frame) {
        if (!candidate || c.isClosing()) {
            transport.close(Disconnect.NORMAL); // a transport the connection left, or a session that ended
        } else if (frame instanceof TextWebSocketFrame) {
            c.dialect().onCandidateText(c, transport, frame.content());
        } else if (frame instanceof PingWebSocketFrame) {
            // RFC 6455 §5.5.2, whatever the transport carries yet; the candidate's own answer, like its 3probe
            transport.writeUncounted(new PongWebSocketFrame(frame.content().retain()));
        } else if (!(frame instanceof PongWebSocketFrame)) {
            transport.fail(Disconnect.PROTOCOL_ERROR);
        }
    }

    private void onClose(Connection<?> c, CloseWebSocketFrame close) {
        if (transport.closeSent()) {
            ctx.close(); // the answer to our own close frame: handshake done
            return;
        }
        if (c.transport() == transport) {
            c.closingByPeer();
        }
        // RFC 6455 §5.5.1: echo the status code, then close the TCP connection.
        transport.markCloseSent();
        int code = close.statusCode();
        CloseWebSocketFrame answer = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, null);
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dropEarly();
        if (candidate) {
            connection.execute(() -> candidateClosed(connection));
        }
        ctx.fireChannelInactive();
    }

    private <S> void candidateClosed(Connection<S> c) {
        if (c.transport() != transport) {
            c.dialect().onCandidateClosed(c, transport);
        }
    }

    /** Ends the connection with {@code why} if this transport carries it, else just this transport. */
    private void end(Disconnect why, boolean fail) {
        connection.execute(() -> {
            if (connection.transport() != transport) {
                if (fail) {
                    transport.fail(why);
                } else {
                    transport.close(why);
                }
            } else if (fail) {
                connection.fail(why);
            } else {
                connection.close(why);
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            end(Disconnect.TOO_BIG, false); // §8.4: fragments together over the limit
        } else if (cause instanceof CorruptedWebSocketFrameException violation) {
            // RFC 6455 §7.1.7: fail the connection with our own short reason (§8.7), not Netty's.
            int code = violation.closeStatus().code();
            end(code == 1007 ? Disconnect.INVALID_UTF8 : code == 1009 ? Disconnect.TOO_BIG : Disconnect.PROTOCOL_ERROR,
                    true);
        } else if (cause instanceof CorruptedFrameException) {
            end(Disconnect.PROTOCOL_ERROR, true);
        } else if (cause instanceof io.netty.handler.codec.compression.DecompressionException inflating) {
            // RFC 7692: a message that inflates past HERALD_MAX_FRAME (a compression bomb) is too big (§8.4, 1009);
            // one that does not inflate at all is a protocol error
            String m = String.valueOf(inflating.getMessage());
            end(m.contains("maximum size") ? Disconnect.TOO_BIG : Disconnect.PROTOCOL_ERROR, true);
        } else if (cause instanceof IOException) {
            ctx.close(); // reset by peer and the like: nothing to tell anyone
        } else if (cause instanceof PrematureChannelClosureException) {
            // The frame aggregator's word for a client that left mid-message: nothing to tell anyone either.
            log.atDebug().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText())
                    .log("client closed mid-message");
            ctx.close();
        } else {
            log.atWarn().addKeyValue(Logs.CONNECTION, ctx.channel().id().asShortText()).setCause(cause)
                    .log("closing after an unexpected error");
            end(Disconnect.INTERNAL_ERROR, false);
        }
    }
}
