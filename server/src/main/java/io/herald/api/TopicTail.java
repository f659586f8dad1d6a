package io.herald.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.herald.hub.Hub;
import io.herald.hub.RawJson;
import io.herald.hub.Subscriber;
import io.herald.protocol.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One admin's tail of one topic: a hub subscriber whose events go out as a streamed HTTP response of JSON lines
 * ({@code application/x-ndjson}), one per event, for the admin page. Bounded so that a hot topic cannot flood the page
 * or the instance: events are sent in batches every {@link #FLUSH_MILLIS}, at most {@link #MAX_PER_FLUSH} a batch, and
 * only while the socket takes them; the rest are counted and reported as {@code {"type":"skipped","count":n}}. The
 * stream ends at the admin token's expiry (as §8.2 ends a connection) or after {@link #MAX_MILLIS}, with a last line
 * {@code {"type":"end","reason":...}}; the page opens a new one. Lives on its channel's loop; needs no locks.
 *
 * <p>Lines: {@code subscribed} (with the instance that serves the tail), {@code event} (time taken, the event's §11
 * offset and epoch when it has them, the §3 envelope), {@code skipped}, {@code ping} (every {@link #PING_MILLIS}, so
 * that proxies keep the stream open), {@code error}, {@code end}.
 */
final class TopicTail extends ChannelInboundHandlerAdapter implements Subscriber {
    static final long FLUSH_MILLIS = 250;
    static final int MAX_PER_FLUSH = 25;
    static final long PING_MILLIS = 15_000;
    static final long MAX_MILLIS = 10 * 60_000;

    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();

    private record Pending(long atMillis, long offset, String epoch, ByteBuf envelope) {
    }

    @FunctionalInterface
    private interface Line {
        void write(JsonGenerator g) throws IOException;
    }

    private final Hub hub;
    private final TopicTails tails;
    private final int slot;
    private final String topic;
    private final String instance;
    private final long endAtMillis;
    private final Clock clock;
    private final Set<String> topics = new HashSet<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private long skipped;
    private ScheduledFuture<?> flushTimer;
    private ScheduledFuture<?> pingTimer;
    private ScheduledFuture<?> endTimer;
    private boolean finished;

    /** @param endAtMillis when the stream ends at the latest (the token's expiry, or {@link #MAX_MILLIS} from now) */
    TopicTail(Hub hub, TopicTails tails, int slot, String topic, String instance, long endAtMillis, Clock clock) {
        this.hub = hub;
        this.tails = tails;
        this.slot = slot;
        this.topic = topic;
        this.instance = instance;
        this.endAtMillis = endAtMillis;
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff")
                .set("X-Accel-Buffering", "no") // nginx: pass each batch on as it comes
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        // the timers first: a subscription that fails at once ends the tail right here, and finish() must see them
        pingTimer = ctx.executor().scheduleAtFixedRate(this::ping, PING_MILLIS, PING_MILLIS, TimeUnit.MILLISECONDS);
        long left = Math.max(0, endAtMillis - clock.millis());
        endTimer = ctx.executor().schedule(() -> end("time_limit", null), left, TimeUnit.MILLISECONDS);
        tails.watch(topic); // before the subscription, so that no event of it is rendered without this slot
        hub.subscribeOrUndo(this, topic).whenComplete((ok, failure) -> {
            if (finished) {
                return;
            }
            if (failure != null) {
                end("error", g -> {
                    g.writeStringField("type", "error");
                    g.writeStringField("code", "unavailable");
                    g.writeStringField("message", "the broker could not subscribe the topic; retry");
                });
            } else {
                send(g -> {
                    g.writeStringField("type", "subscribed");
                    g.writeStringField("topic", topic);
                    g.writeStringField("instance", instance);
                });
            }
        });
        ctx.flush();
    }

    private void ping() {
        if (!finished && ctx.channel().isWritable()) {
            send(g -> g.writeStringField("type", "ping"));
        }
    }

    /** Whatever else the client sends on this connection is not read as requests: the stream is the answer. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    // --- Subscriber ---

    @Override
    public EventExecutor eventLoop() {
        return ctx.executor();
    }

    @Override
    public int rendererSlot() {
        return slot;
    }

    @Override
    public Set<String> topics() {
        return topics;
    }

    @Override
    public boolean deliver(String topic, ByteBuf frame) {
        return deliver(topic, 0, null, frame);
    }

    @Override
    public boolean deliver(String topic, long offset, String epoch, ByteBuf frame) {
        if (finished) {
            frame.release();
            return false;
        }
        if (pending.size() >= MAX_PER_FLUSH) {
            skipped++; // reported in the next batch's skipped line; not counted as delivered
            frame.release();
            return false;
        }
        pending.add(new Pending(clock.millis(), offset, epoch, frame));
        if (flushTimer == null) {
            flushTimer = ctx.executor().schedule(this::flushBatch, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        }
        return true;
    }

    /** One batch: the events taken since the last, and how many were skipped, in one chunk; none while unwritable. */
    private void flushBatch() {
        flushTimer = null;
        if (finished) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            skipped += pending.size();
            releasePending();
            // look again later, so that the skipped line goes out once the socket takes writes, event or not
            flushTimer = ctx.executor().schedule(this::flushBatch, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
            return;
        }
        if (pending.isEmpty() && skipped == 0) {
            return;
        }
        ByteBuf chunk = ctx.alloc().buffer(256 * (pending.size() + 1));
        try {
            Pending p;
            while ((p = pending.poll()) != null) {
                Pending e = p;
                try {
                    line(chunk, g -> {
                        g.writeStringField("type", "event");
                        g.writeStringField("at", Replies.timestamp(Instant.ofEpochMilli(e.atMillis())));
                        if (e.epoch() != null) {
                            g.writeNumberField("offset", e.offset());
                            g.writeStringField("epoch", e.epoch());
                        }
                        g.writeFieldName("event");
                        g.writeRawValue(new RawJson(ByteBufUtil.getBytes(e.envelope())));
                    });
                } finally {
                    e.envelope().release();
                }
            }
            if (skipped > 0) {
                long n = skipped;
                skipped = 0;
                line(chunk, g -> {
                    g.writeStringField("type", "skipped");
                    g.writeNumberField("count", n);
                });
            }
        } catch (RuntimeException e) {
            chunk.release();
            throw e;
        }
        ctx.writeAndFlush(new DefaultHttpContent(chunk));
    }

    private void send(Line body) {
        ByteBuf chunk = ctx.alloc().buffer(96);
        try {
            line(chunk, body);
        } catch (RuntimeException e) {
            chunk.release();
            throw e;
        }
        ctx.writeAndFlush(new DefaultHttpContent(chunk));
    }

    /** The last line, the end of the chunked response, and the end of the connection. */
    private void end(String reason, Line last) {
        if (finished) {
            return;
        }
        if (ctx.channel().isActive()) {
            send(last != null ? last : g -> {
                g.writeStringField("type", "end");
                g.writeStringField("reason", reason);
            });
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        }
        finish();
    }

    private static void line(ByteBuf into, Line body) {
        try (JsonGenerator g = JSON.createGenerator((OutputStream) new ByteBufOutputStream(into), JsonEncoding.UTF8)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        into.writeByte('\n');
    }

    /** Lets go of everything once: the subscription, the watch, the place among {@link TopicTails#MAX_TAILS}, timers. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        hub.unsubscribeAll(this);
        tails.unwatch(topic);
        tails.release();
        for (ScheduledFuture<?> t : new ScheduledFuture<?>[] {flushTimer, pingTimer, endTimer}) {
            if (t != null) {
                t.cancel(false);
            }
        }
        releasePending();
    }

    private void releasePending() {
        Pending p;
        while ((p = pending.poll()) != null) {
            p.envelope().release();
        }
    }
}
