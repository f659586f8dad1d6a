package io.herald.loadtest;

/**
 * The topics of a run: {@code share:t0} ... {@code share:t<T-1>} (§3), or {@code channel:t0} ... for the channels
 * endpoint. Client {@code i} listens to topic {@code i % T}; event {@code n} goes to topic {@code n % T} with
 * per-topic sequence {@code n / T + 1}.
 *
 * @param kind the topic prefix, {@code share:} or {@code channel:}
 */
public record Topics(int count, String kind) {
    public Topics {
        if (count < 1) {
            throw new IllegalArgumentException("topics must be at least 1");
        }
    }

    /** Share topics. */
    public Topics(int count) {
        this(count, "share:");
    }

    /** The share id or channel name, {@code t<k>}. */
    public String id(int topic) {
        return "t" + topic;
    }

    /** The topic name an envelope carries and a peer joins as a room, {@code share:t<k>}. */
    public String name(int topic) {
        return kind + id(topic);
    }

    public int ofClient(int client) {
        return client % count;
    }

    /** How many of {@code clients} listen to {@code topic}. */
    public int subscribers(int topic, int clients) {
        return clients / count + (topic < clients % count ? 1 : 0);
    }
}
