package io.herald.protocol.socketio;

import io.herald.broker.history.History;

import java.util.Arrays;

/**
 * §11 Socket.IO connection state recovery of one session: where the client stands in each of its session's topics
 * ({@code user:{sub}}, {@code broadcast}), in a fixed order. The official client keeps two strings for Herald, and
 * both carry that whole vector, so any instance resumes the session without shared state:
 * <ul>
 *   <li>the {@code offset}, the last argument of every event ({@code "E.O~E.O"}: epoch and offset per topic), which
 *       the client sends back as the last one it saw;</li>
 *   <li>the {@code pid}, given at CONNECT ({@code <random>~<vector at connect>}), which stands in for an offset when
 *       the client saw no event since.</li>
 * </ul>
 * A client that forges either only chooses which of <em>its own</em> topics' events it is sent again: the topics come
 * from its token, never from these strings. Confined to the connection's loop.
 */
final class SioRecovery {
    private static final int MAX_EPOCH = 64;

    final String pid;
    private final String[] topics;
    private final String[] epochs;
    private final long[] offsets;

    SioRecovery(String pid, String[] topics, History.Position[] at) {
        this.pid = pid;
        this.topics = topics.clone();
        this.epochs = new String[topics.length];
        this.offsets = new long[topics.length];
        for (int i = 0; i < topics.length; i++) {
            epochs[i] = at[i].epoch();
            offsets[i] = at[i].offset();
        }
    }

    /** A new pid for a session whose topics stand at {@code at}. */
    static String newPid(History.Position[] at) {
        return SocketIoDialect.newId() + "~" + vector(at);
    }

    /**
     * Where a reconnecting client stands, from its {@code offset} or, when it saw no event, its {@code pid}; null when
     * neither is a vector of {@code n} positions.
     */
    static History.Position[] resumeFrom(String pid, String offset, int n) {
        if (offset != null) {
            return parse(offset, n);
        }
        int cut = pid == null ? -1 : pid.indexOf('~');
        return cut < 0 ? null : parse(pid.substring(cut + 1), n);
    }

    /** The client now has the event at {@code offset} of {@code topic}: returns its offset string, or null. */
    String advance(String topic, long offset) {
        for (int i = 0; i < topics.length; i++) {
            if (topics[i].equals(topic)) {
                offsets[i] = offset;
                return vector();
            }
        }
        return null;
    }

    /** After a {@code force_sync} of {@code topic}: the client goes on from {@code p}. */
    void reset(String topic, History.Position p) {
        for (int i = 0; i < topics.length; i++) {
            if (topics[i].equals(topic) && p != null) {
                epochs[i] = p.epoch();
                offsets[i] = p.offset();
            }
        }
    }

    String vector() {
        StringBuilder b = new StringBuilder(topics.length * 24);
        for (int i = 0; i < topics.length; i++) {
            if (i > 0) {
                b.append('~');
            }
            b.append(epochs[i]).append('.').append(offsets[i]);
        }
        return b.toString();
    }

    private static String vector(History.Position[] at) {
        StringBuilder b = new StringBuilder(at.length * 24);
        for (int i = 0; i < at.length; i++) {
            if (i > 0) {
                b.append('~');
            }
            b.append(at[i].epoch()).append('.').append(at[i].offset());
        }
        return b.toString();
    }

    /** {@code "E.O~E.O"} with exactly {@code n} positions of safe characters, or null. */
    static History.Position[] parse(String vector, int n) {
        String[] parts = vector.split("~", -1);
        if (parts.length != n) {
            return null;
        }
        History.Position[] out = new History.Position[n];
        for (int i = 0; i < n; i++) {
            int dot = parts[i].lastIndexOf('.');
            if (dot <= 0 || dot > MAX_EPOCH || dot == parts[i].length() - 1 || parts[i].length() - dot > 19) {
                return null;
            }
            String epoch = parts[i].substring(0, dot);
            for (int k = 0; k < epoch.length(); k++) {
                char c = epoch.charAt(k);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                    return null;
                }
            }
            long offset = 0;
            for (int k = dot + 1; k < parts[i].length(); k++) {
                char c = parts[i].charAt(k);
                if (c < '0' || c > '9') {
                    return null;
                }
                offset = offset * 10 + (c - '0');
            }
            out[i] = new History.Position(epoch, offset);
        }
        return out;
    }

    @Override
    public String toString() {
        return "SioRecovery" + Arrays.toString(topics);
    }
}
