package io.herald.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.herald.auth.AuthProxy;
import io.herald.auth.Principal;
import io.herald.auth.TokenVerifier;
import io.herald.broker.ControlChannel;
import io.herald.hub.RawJson;
import io.herald.hub.Topic;
import io.herald.protocol.ControlActions;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * §12 control API, role {@code admin}: {@code POST /api/v1/disconnect}, {@code POST /api/v1/subscribe},
 * {@code POST /api/v1/unsubscribe} (each {@code 202 {"accepted":true}}) and {@code GET /api/v1/connections}.
 *
 * <p>With Redis every request goes out on the control bus ({@link ControlChannel#broadcast}), not as topic traffic,
 * and every instance, this one included, acts on its own connections when it hears it; a listing is gathered from
 * the answers of every live instance, for at most {@value #GATHER_MILLIS} ms. With the local broker it acts here.
 */
public final class ControlApi {
    private static final Logger log = LoggerFactory.getLogger(ControlApi.class);
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNameLength(1000).build())
            .build();
    static final long GATHER_MILLIS = 1_000;

    /** The four operations; {@code LISTED} is an instance's answer to a listing, never a request. */
    enum Op {
        DISCONNECT, SUBSCRIBE, UNSUBSCRIBE, LIST, LISTED;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One request (or answer) as it travels the bus. */
    record Command(Op op, String user, String session, String topic, String id, String from, List<byte[]> listed) {
    }

    private final Authorizer auth;
    private final ControlActions actions;
    private final String instance;
    private final AuthProxy authProxy;
    private volatile ControlChannel bus;
    private final Map<String, Gathering> gatherings = new ConcurrentHashMap<>();

    /** @param authProxy null without one; a revoked user's or session's cached answers are forgotten on disconnect */
    public ControlApi(TokenVerifier verifier, ControlActions actions, String instance, AuthProxy authProxy) {
        this.auth = new Authorizer(verifier);
        this.actions = actions;
        this.instance = instance;
        this.authProxy = authProxy;
    }

    /** With Redis: from now on requests reach every instance over {@code c}. Completes once this one hears the bus. */
    public CompletionStage<Void> useBus(ControlChannel c) {
        return c.openBroadcast(this::heard).thenRun(() -> this.bus = c);
    }

    public HttpEndpoint disconnect() {
        return (req, alloc) -> post(req, alloc, Op.DISCONNECT);
    }

    public HttpEndpoint subscribe() {
        return (req, alloc) -> post(req, alloc, Op.SUBSCRIBE);
    }

    public HttpEndpoint unsubscribe() {
        return (req, alloc) -> post(req, alloc, Op.UNSUBSCRIBE);
    }

    public HttpEndpoint connections() {
        return this::list;
    }

    private CompletionStage<FullHttpResponse> post(FullHttpRequest req, ByteBufAllocator alloc, Op op) {
        FullHttpResponse refusal = auth.refuse(req, alloc, p -> p.hasRole(Principal.ROLE_ADMIN), "admin");
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        Command c;
        try {
            c = parse(op, req);
        } catch (Invalid e) {
            return CompletableFuture.completedFuture(HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                    "invalid_request", e.getMessage()));
        }
        ControlChannel b = bus;
        CompletionStage<?> done = b == null ? act(c) : b.broadcast(encode(c));
        return done.handle((ok, failure) -> failure != null
                ? unavailable(alloc, failure)
                : HttpResponses.json(alloc, HttpResponseStatus.ACCEPTED, g -> {
                    g.writeStartObject();
                    g.writeBooleanField("accepted", true);
                    g.writeEndObject();
                }));
    }

    private CompletionStage<FullHttpResponse> list(FullHttpRequest req, ByteBufAllocator alloc) {
        FullHttpResponse refusal = auth.refuse(req, alloc, p -> p.hasRole(Principal.ROLE_ADMIN), "admin");
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        Map<String, List<String>> q = new QueryStringDecoder(req.uri()).parameters();
        String user = single(q.get("user"));
        String session = single(q.get("session"));
        if ((user == null) == (session == null) || !Topic.isValidId(user != null ? user : session)) {
            return CompletableFuture.completedFuture(HttpResponses.error(alloc, HttpResponseStatus.BAD_REQUEST,
                    "invalid_request", "give one of user or session (1-200 of A-Z a-z 0-9 _ . : @ ~ -)"));
        }
        ControlChannel b = bus;
        CompletionStage<List<byte[]>> listed;
        if (b == null) {
            listed = actions.list(user, session);
        } else {
            String id = UUID.randomUUID().toString();
            Gathering g = new Gathering(b.liveInstances());
            gatherings.put(id, g);
            CompletableFuture.delayedExecutor(GATHER_MILLIS, TimeUnit.MILLISECONDS).execute(g::finish);
            g.done.whenComplete((r, t) -> gatherings.remove(id));
            b.broadcast(encode(new Command(Op.LIST, user, session, null, id, instance, null)))
                    .whenComplete((ok, t) -> {
                        if (t != null) {
                            g.done.completeExceptionally(t);
                        }
                    });
            listed = g.done;
        }
        return listed.handle((all, failure) -> failure != null ? unavailable(alloc, failure)
                : HttpResponses.json(alloc, HttpResponseStatus.OK, g -> {
                    g.writeStartObject();
                    g.writeArrayFieldStart("connections");
                    for (byte[] one : all) {
                        g.writeRawValue(new RawJson(one));
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }));
    }

    /** Answers of every instance to one listing; complete when all that were live answered, or at the deadline. */
    private static final class Gathering {
        final int expected;
        final List<byte[]> parts = new ArrayList<>();
        final CompletableFuture<List<byte[]>> done = new CompletableFuture<>();
        int answered;

        Gathering(int expected) {
            this.expected = expected;
        }

        synchronized void add(List<byte[]> some) {
            parts.addAll(some);
            if (++answered >= expected) {
                done.complete(List.copyOf(parts));
            }
        }

        synchronized void finish() {
            done.complete(List.copyOf(parts));
        }
    }

    private static FullHttpResponse unavailable(ByteBufAllocator alloc, Throwable failure) {
        log.warn("control API: the request did not reach the instances: {}", failure.toString());
        return HttpResponses.error(alloc, HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                "the broker cannot reach the instances now; retry");
    }

    /** On this instance: the action itself. */
    private CompletionStage<?> act(Command c) {
        return switch (c.op()) {
            case DISCONNECT -> {
                if (authProxy != null) {
                    authProxy.forget(c.user(), c.session()); // a revoked session must not reconnect on a cached answer
                }
                yield actions.disconnect(c.user(), c.session());
            }
            case SUBSCRIBE -> actions.subscribe(c.user(), Topic.parse(c.topic()));
            case UNSUBSCRIBE -> actions.unsubscribe(c.user(), Topic.parse(c.topic()));
            default -> CompletableFuture.completedFuture(null);
        };
    }

    /** A bus message (broker thread): act on it, answer a listing, or take an answer to one of ours. */
    private void heard(byte[] message) {
        Command c;
        try {
            c = decode(message);
        } catch (IOException | RuntimeException e) {
            log.debug("control bus: unreadable message ignored");
            return;
        }
        if (c.op() == Op.LISTED) {
            Gathering g = c.id() == null ? null : gatherings.get(c.id());
            if (g != null) {
                g.add(c.listed());
            }
            return;
        }
        if (c.op() == Op.LIST) {
            ControlChannel b = bus;
            actions.list(c.user(), c.session()).thenAccept(found -> {
                if (b != null) {
                    b.broadcast(encode(new Command(Op.LISTED, null, null, null, c.id(), c.from(), found)));
                }
            });
            return;
        }
        if (c.op() == Op.SUBSCRIBE || c.op() == Op.UNSUBSCRIBE) {
            if (c.user() == null || Topic.parse(c.topic()) == null) {
                return;
            }
        } else if (c.user() == null && c.session() == null) {
            return;
        }
        act(c);
    }

    // --- parsing and encoding ---

    private static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** The body of a POST: {@code {"user"}} or {@code {"session"}} for disconnect; {@code {"user","topic"}} otherwise. */
    private static Command parse(Op op, FullHttpRequest req) throws Invalid {
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        String user = null;
        String session = null;
        String topic = null;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Invalid("body must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "user" -> user = text(p, t, "user");
                    case "session" -> session = text(p, t, "session");
                    case "topic" -> topic = text(p, t, "topic");
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new Invalid("trailing data after the object");
            }
        } catch (IOException e) {
            throw new Invalid("body is not valid JSON");
        }
        if (op == Op.DISCONNECT) {
            if ((user == null) == (session == null)) {
                throw new Invalid("give one of user or session");
            }
        } else {
            if (user == null || topic == null) {
                throw new Invalid("user and topic are required");
            }
            if (Topic.parse(topic) == null) {
                throw new Invalid("topic is not a valid topic (§3)");
            }
        }
        if ((user != null && !Topic.isValidId(user)) || (session != null && !Topic.isValidId(session))) {
            throw new Invalid("an id is 1-200 of A-Z a-z 0-9 _ . : @ ~ -");
        }
        return new Command(op, user, session, topic, null, null, null);
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException, Invalid {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw new Invalid(field + " must be a string");
        }
        return p.getText();
    }

    private static String single(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    static byte[] encode(Command c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("op", c.op().wire());
            field(g, "user", c.user());
            field(g, "session", c.session());
            field(g, "topic", c.topic());
            field(g, "id", c.id());
            field(g, "from", c.from());
            if (c.listed() != null) {
                g.writeArrayFieldStart("connections");
                for (byte[] one : c.listed()) {
                    g.writeRawValue(new RawJson(one));
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    static Command decode(byte[] message) throws IOException {
        Op op = null;
        String user = null;
        String session = null;
        String topic = null;
        String id = null;
        String from = null;
        List<byte[]> listed = null;
        try (JsonParser p = JSON.createParser(message)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "op" -> op = Op.valueOf(p.getText().toUpperCase(java.util.Locale.ROOT));
                    case "user" -> user = p.getText();
                    case "session" -> session = p.getText();
                    case "topic" -> topic = p.getText();
                    case "id" -> id = p.getText();
                    case "from" -> from = p.getText();
                    case "connections" -> {
                        if (t != JsonToken.START_ARRAY) {
                            throw new IOException("connections is not an array");
                        }
                        listed = new ArrayList<>();
                        for (JsonToken e = p.nextToken(); e == JsonToken.START_OBJECT; e = p.nextToken()) {
                            int from0 = (int) p.currentTokenLocation().getByteOffset();
                            p.skipChildren();
                            int to = (int) p.currentLocation().getByteOffset();
                            listed.add(java.util.Arrays.copyOfRange(message, from0, to));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        if (op == null) {
            throw new IOException("no op");
        }
        return new Command(op, user, session, topic, id, from, listed == null ? List.of() : listed);
    }
}
