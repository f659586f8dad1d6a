package io.herald.protocol.socketio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.herald.broker.ControlChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Engine.IO long-polling without sticky sessions (§7 with a Redis broker): a session's id starts with the tag of
 * the instance that owns it ({@link #TAG_LENGTH} characters and a dot). A {@code GET} or {@code POST} that lands on
 * another instance is forwarded over the {@link ControlChannel} (not topic traffic) to the owner, served there by
 * the session as if it had arrived locally, and the answer comes back the same way to be written on the original
 * request. Only a live instance's tag is forwarded to, and at most {@link #MAX_PENDING} requests wait for answers
 * at once: anything else fails at once (400) instead of holding a request open for nothing. A WebSocket upgrade
 * must reach the owner; elsewhere it is closed and the client simply keeps polling.
 *
 * <p>Messages are small JSON objects (jackson-core streaming): a request {@code {"q":id,"from":tag,"sid":..,
 * "post":bool,"body":..,"user":..}}, an answer {@code {"a":id,"kind":"ok|close|error","body":..,"code":n}}, and
 * {@code {"x":id,"from":tag}} when the client of a forwarded poll left before its answer.
 */
final class PollingRelay {
    private static final Logger log = LoggerFactory.getLogger(PollingRelay.class);
    static final int TAG_LENGTH = 8;
    private static final JsonFactory JSON = new JsonFactory();
    /** A forwarded poll may be held until the owner's next ping, then the answer has to come back. */
    private static final long EXTRA_WAIT_MILLIS = 5_000;
    /** Forwarded requests waiting for their answers, at most: each holds a client's request open. */
    static final int MAX_PENDING = 10_000;

    private final PollingEndpoint transport;
    private final String tag;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    /**
     * Owner side: forwarded polls still held, keyed {@code from + "/" + id}, for the forwarding instance to say their
     * client left, so the session keeps its frames for the next poll instead of answering nobody (§10).
     */
    private final ConcurrentHashMap<String, Forwarded> abandoned = new ConcurrentHashMap<>();
    private volatile ControlChannel control;

    private record Pending(PollingTransport.Reply reply, ScheduledFuture<?> timeout) {
    }

    PollingRelay(PollingEndpoint transport) {
        this.transport = transport;
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        this.tag = Base64.getUrlEncoder().withoutPadding().encodeToString(b); // 8 characters
    }

    /** The sid prefix of this instance's sessions. */
    String tag() {
        return tag + ".";
    }

    /** Serves and forwards requests over {@code c} from now on (with a Redis broker). */
    void open(ControlChannel c) {
        this.control = c;
        openRelay(c);
    }

    /** Until it succeeds: Redis may be away at start-up. */
    private void openRelay(ControlChannel c) {
        c.open(tag, this::received).whenComplete((ok, failure) -> {
            if (failure != null) {
                log.warn("socket.io polling relay not open yet ({}); retrying", failure.toString());
                java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> openRelay(c));
            }
        });
    }

    /**
     * Forwards a request for another instance's session; false when the sid is not one (or there is no relay).
     * {@code origin} is the browser origin the caller allowed (for CORS), or null; {@code requester} the user the
     * request's credentials verified as, or null, for the owner to refuse another user's request (§7).
     */
    boolean forward(EventExecutor loop, PollingTransport.Reply reply, String sid, boolean post, String body,
                    String requester) {
        ControlChannel c = control;
        if (c == null || sid.length() <= TAG_LENGTH || sid.charAt(TAG_LENGTH) != '.' || sid.startsWith(tag())) {
            return false;
        }
        String target = sid.substring(0, TAG_LENGTH);
        if (pending.size() >= MAX_PENDING) {
            reply.error(EngineIo.BAD_REQUEST); // too many requests waiting on other instances: fail fast
            return true;
        }
        long id = ids.incrementAndGet();
        long wait = post ? EXTRA_WAIT_MILLIS
                : transport.settings().pingInterval().toMillis() + transport.settings().pingTimeout().toMillis() + EXTRA_WAIT_MILLIS;
        ScheduledFuture<?> timeout = loop.schedule(() -> {
            Pending p = pending.remove(id);
            if (p != null) {
                p.reply().error(EngineIo.BAD_REQUEST); // the owner is gone or cut off
            }
        }, wait, TimeUnit.MILLISECONDS);
        pending.put(id, new Pending(reply, timeout));
        if (!post) {
            // The client left before the owner answered its poll: the owner must not hand the queued frames to it.
            reply.onAbandoned(() -> {
                Pending p = pending.remove(id);
                if (p != null) {
                    p.timeout().cancel(false);
                    c.send(target, json(g -> {
                        g.writeNumberField("x", id);
                        g.writeStringField("from", tag);
                    }));
                }
            });
        }
        c.send(target, json(g -> {
            g.writeNumberField("q", id);
            g.writeStringField("from", tag);
            g.writeStringField("sid", sid);
            g.writeBooleanField("post", post);
            if (requester != null) {
                g.writeStringField("user", requester);
            }
            if (body != null) {
                g.writeStringField("body", body);
            }
        })).whenComplete((ok, failure) -> {
            if (failure != null) {
                Pending p = pending.remove(id);
                if (p != null) {
                    p.timeout().cancel(false);
                    // no live instance holds the session (it went with its instance), or Redis is away
                    p.reply().error(EngineIo.UNKNOWN_SID);
                }
            }
        });
        return true;
    }

    /** A relay message for this instance (broker thread). */
    private void received(byte[] message) {
        Long q = null;
        Long a = null;
        Long x = null;
        String from = null;
        String sid = null;
        String body = null;
        String user = null;
        String kind = null;
        boolean post = false;
        int code = EngineIo.BAD_REQUEST;
        try (JsonParser p = JSON.createParser(message)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "q" -> q = p.getLongValue();
                    case "a" -> a = p.getLongValue();
                    case "x" -> x = p.getLongValue();
                    case "from" -> from = p.getText();
                    case "sid" -> sid = p.getText();
                    case "post" -> post = t == JsonToken.VALUE_TRUE;
                    case "body" -> body = p.getText();
                    case "user" -> user = p.getText();
                    case "kind" -> kind = p.getText();
                    case "code" -> code = p.getIntValue();
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("socket.io relay: unreadable message dropped");
            return;
        }
        if (x != null && from != null) {
            Forwarded f = abandoned.remove(from + "/" + x);
            if (f != null) {
                f.clientLeft();
            }
        } else if (a != null) {
            answered(a, kind, body, code);
        } else if (q != null && from != null && sid != null) {
            serve(q, from, sid, post, body, user);
        }
    }

    private void answered(long id, String kind, String body, int code) {
        Pending p = pending.remove(id);
        if (p == null) {
            return; // timed out already
        }
        p.timeout().cancel(false);
        switch (kind == null ? "" : kind) {
            case "ok" -> p.reply().ok(body == null ? "" : body);
            case "close" -> p.reply().okAndClose(body == null ? "" : body);
            default -> p.reply().error(code);
        }
    }

    /** Serves a forwarded request on the local session; the answer goes back to {@code from}. */
    private void serve(long id, String from, String sid, boolean post, String body, String requester) {
        Forwarded reply = new Forwarded(id, from);
        var c = transport.get(sid);
        if (c == null) {
            reply.error(EngineIo.UNKNOWN_SID);
        } else {
            transport.serve(c, requester, post, post ? (body == null ? "" : body) : null, reply);
        }
    }

    /** The answer to a request another instance forwarded: sent back over the control channel. */
    private final class Forwarded implements PollingTransport.Reply {
        private final long id;
        private final String from;
        private final String key;
        /** The forwarding instance said its client left: an answer would reach nobody. */
        private volatile boolean gone;
        private Runnable onGone;

        Forwarded(long id, String from) {
            this.id = id;
            this.from = from;
            this.key = from + "/" + id;
        }

        @Override
        public boolean ok(String b) {
            abandoned.remove(key);
            if (gone) {
                return false; // the frames wait for the client's next poll (§10)
            }
            answer("ok", b, 0); // the forwarding instance waits longer than a poll is ever held (see forward)
            return true;
        }

        @Override
        public void okAndClose(String b) {
            abandoned.remove(key);
            answer("close", b, 0);
        }

        @Override
        public void error(int code) {
            abandoned.remove(key);
            answer("error", null, code);
        }

        /** Runs {@code r} when the forwarding instance says the client left (see {@link #received}). */
        @Override
        public void onAbandoned(Runnable r) {
            onGone = r;
            abandoned.put(key, this);
        }

        void clientLeft() {
            gone = true;
            onGone.run();
        }

        private void answer(String kind, String b, int code) {
            ControlChannel br = control;
            if (br != null) {
                br.send(from, json(g -> {
                    g.writeNumberField("a", id);
                    g.writeStringField("kind", kind);
                    if (b != null) {
                        g.writeStringField("body", b);
                    }
                    g.writeNumberField("code", code);
                }));
            }
        }
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] json(Fields fields) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(128)) {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                fields.write(g);
                g.writeEndObject();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
