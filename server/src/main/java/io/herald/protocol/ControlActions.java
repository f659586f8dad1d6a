package io.herald.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.herald.auth.Principal;
import io.herald.hub.Topic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * What the §12 control API does to this instance's connections, each on the connection's own loop: revoke them,
 * subscribe or unsubscribe them server-side (through their dialect, which answers as if the client had asked), and
 * describe them. The API ({@code api.ControlApi}) runs these on every instance.
 */
public final class ControlActions {
    private static final JsonFactory JSON = new JsonFactory();

    private final Connections connections;
    private final String instance;

    public ControlActions(Connections connections, String instance) {
        this.connections = connections;
        this.instance = instance;
    }

    /** Connections of {@code user}, or of login session {@code session} (one of them null). */
    public static Predicate<Connection<?>> of(String user, String session) {
        return c -> {
            Principal p = c.principal();
            return p != null && (user == null || user.equals(p.subject())) && (session == null || session.equals(p.session()));
        };
    }

    /** Closes every matching connection 4401 {@code revoked}; completes with how many. */
    public CompletableFuture<Integer> disconnect(String user, String session) {
        return connections.collect(of(user, session), c -> {
            revoke(c);
            return 1;
        }).thenApply(List::size);
    }

    /** Subscribes every connection of {@code user} whose endpoint delivers {@code topic}; completes with how many. */
    public CompletableFuture<Integer> subscribe(String user, Topic topic) {
        return connections.collect(of(user, null), c -> c.grant(topic) ? 1 : null).thenApply(List::size);
    }

    public CompletableFuture<Integer> unsubscribe(String user, Topic topic) {
        return connections.collect(of(user, null), c -> c.takeBack(topic) ? 1 : null).thenApply(List::size);
    }

    /** Each matching connection as a JSON object: instance, endpoint, transport, session, connected_since, topics. */
    public CompletableFuture<List<byte[]>> list(String user, String session) {
        return connections.collect(of(user, session), this::describe);
    }

    private byte[] describe(Connection<?> c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("instance", instance);
            g.writeStringField("endpoint", c.dialect().endpoint().label());
            g.writeStringField("transport", c.transport().name());
            g.writeStringField("user", c.subject());
            if (c.principal().session() != null) {
                g.writeStringField("session", c.principal().session());
            } else {
                g.writeNullField("session");
            }
            g.writeStringField("connected_since", Replies.timestamp(Instant.ofEpochMilli(c.openedAtMillis())));
            g.writeArrayFieldStart("topics");
            for (String t : c.topics()) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static <S> void revoke(Connection<S> c) {
        c.dialect().revoke(c);
    }
}
