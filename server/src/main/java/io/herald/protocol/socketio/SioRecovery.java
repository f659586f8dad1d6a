package io.herald.protocol.socketio;

import io.herald.broker.history.History;

import java.util.Arrays;

/**
 * §11 Socket.IO connection state recovery of one session: where the client stands in each of its session's topics
 * ({@code user:{sub}}, {@code broadcast}), in a fixed order. The official client keeps two strings for Herald, and
 * both carry that whole vector, so any instance resumes the session without shared state:
 * <ul>
 *   <li>the {@code pid}, given at CONNECT ({@code <20 random characters>~<vector at connect>}), which stands in for an
 *       offset when the client saw no event since;</li>
 *   <li>the {@code offset}, the last argument of every event ({@code "<pid tag>~E.O~E.O"}: the pid's first 8
 *       characters, then epoch and offset per topic), which the client sends back as the last one it saw. The tag
 *       ties it to its pid: the official client keeps its last offset across a failed recovery, and an offset of an
 *       older pid is older than the new pid's own vector, so it is not taken.</li>
 * </ul>
 * A client that forges either only chooses which of <em>its own</em> topics' events it is sent again: the topics come
 * from its token, never from these strings. Confined to the connection's loop.
 */
final class SioRecovery {
    private static final int MAX_EPOCH = 64;
    /** Random characters of a pid (15 bytes in base64url), and those of them an offset carries. */
    static final int PID_RANDOM = 20;
    static final int TAG = 8;
    /** §8.3: a pid is echoed to the client, so one longer than this is never taken. */
    static final int MAX_PID = 128;

    final String pid;
    private final String tag;
    private final String[] topics;
    /** Where the client stands in each of {@link #topics}. */
    private final History.Position[] at;

    SioRecovery(String pid, String[] topics, History.Position[] at) {
        this.pid = pid;
        this.tag = pid.substring(0, TAG);
        this.topics = topics.clone();
        this.at = at.clone();
    }

    /** A new pid for a session whose topics stand at {@code at}. */
    static String newPid(History.Position[] at) {
        return SocketIoDialect.newId() + "~" + vector(at);
    }

    /**
     * Where a reconnecting client stands: its {@code offset} when that belongs to this pid, else the pid's own vector;
     * null when the pid is not one Herald gave (then nothing is recovered, and nothing of it is echoed).
     */
    static History.Position[] resumeFrom(String pid, String offset, int n) {
        if (!isPid(pid)) {
            return null;
        }
        History.Position[] atConnect = parse(pid.substring(PID_RANDOM + 1), n);
        if (atConnect == null) {
            return null;
        }
        if (offset != null && offset.length() > TAG + 1 && offset.charAt(TAG) == '~'
                && offset.regionMatches(0, pid, 0, TAG)) {
            History.Position[] last = parse(offset.substring(TAG + 1), n);
            if (last != null) {
                return last;
            }
        }
        return atConnect;
    }

    /** Herald's pid shape: 20 base64url characters, '~', a vector; at most {@link #MAX_PID} characters. */
    static boolean isPid(String pid) {
        if (pid == null || pid.length() > MAX_PID || pid.length() <= PID_RANDOM + 1 || pid.charAt(PID_RANDOM) != '~') {
            return false;
        }
        for (int i = 0; i < PID_RANDOM; i++) {
            if (!safe(pid.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The client now has the event at {@code offset} of {@code topic} (in {@code epoch}): its offset string, or null. */
    String advance(String topic, String epoch, long offset) {
        for (int i = 0; i < topics.length; i++) {
            if (topics[i].equals(topic)) {
                at[i] = new History.Position(epoch != null ? epoch : at[i].epoch(), offset);
                return tag + "~" + vector(at);
            }
        }
        return null;
    }

    String vector() {
        return vector(at);
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
                if (!safe(epoch.charAt(k))) {
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

    private static boolean safe(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    @Override
    public String toString() {
        return "SioRecovery" + Arrays.toString(topics);
    }
}
