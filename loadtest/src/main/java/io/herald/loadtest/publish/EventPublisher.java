package io.herald.loadtest.publish;

import io.herald.loadtest.EventClock;
import io.herald.loadtest.Topics;
import io.herald.loadtest.client.PublishedSequences;
import io.herald.loadtest.report.DeliveryStats;
import io.herald.loadtest.report.ErrorKind;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes the run's events at a fixed rate, round-robin over the topics, either through
 * {@code POST /api/v1/publish} (§3 HTTP ingress) or straight into Redis with {@code PUBLISH {prefix}{topic}}
 * (§3 Redis ingress, for a Herald on a Redis broker). Event {@code n} is due at {@code start + n / rate};
 * whatever is due when the publisher looks goes out as one batch (HTTP: one request of at most 1000 events,
 * under 4 MiB; Redis: that many pipelined {@code PUBLISH} commands on one connection), and batches go one at a
 * time so that each topic's events are published in order.
 *
 * <p>Each event's {@code data} is {@code {"seq":<per-topic sequence>,"t":<EventClock at send>,"pad":"x..."}},
 * padded to the payload size. By default {@code t} is the instant the event was <em>due</em>: when the publisher
 * falls behind (a slow server answers late), the wait counts as latency instead of vanishing, which is
 * HdrHistogram's correction for coordinated omission. {@code stampScheduled=false} stamps the actual send instant.
 */
public final class EventPublisher implements PublishedSequences {
    /** §3: a batch holds at most 1000 events and 4 MiB. */
    static final int MAX_BATCH_EVENTS = 1000;
    static final int MAX_BATCH_BYTES = 4 * 1024 * 1024 - 4096;
    /** §3: an envelope is at most 1 MiB; leave room for its other fields. */
    public static final int MAX_PAYLOAD = 1024 * 1024 - 1024;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /**
     * @param url            the publish endpoint
     * @param token          a publisher token, or null to send none (peer servers take no auth)
     * @param eventType      the envelope's {@code event_type}
     * @param payload        bytes of each event's {@code data}
     * @param rate           events per second, over all topics
     * @param stampScheduled stamp {@code t} with the due instant (true) or the send instant
     * @param retry          resend a failed batch until it is taken or the run stops (chaos), instead of
     *                       counting it as an error and moving on
     */
    public record Settings(URI url, String token, Topics topics, String eventType, int payload, double rate,
                           boolean stampScheduled, boolean retry, String redisPrefix) {
        public Settings {
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) && !isRedis(url)) {
                throw new IllegalArgumentException("--publish " + url + ": must be http(s)://host:port/api/v1/publish "
                        + "or redis://host:port");
            }
            if (payload < 0 || payload > MAX_PAYLOAD) {
                throw new IllegalArgumentException("--payload must be 0.." + MAX_PAYLOAD + " bytes (§3 envelope limit)");
            }
            if (!(rate > 0)) {
                throw new IllegalArgumentException("--rate must be positive");
            }
        }
    }

    static boolean isRedis(URI url) {
        return "redis".equals(url.getScheme()) || "rediss".equals(url.getScheme());
    }

    private final Settings settings;
    /** Redis ingress only: the connection the events are PUBLISHed on. */
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    private final List<RedisFuture<Long>> pending = new ArrayList<>();
    private final StringBuilder one = new StringBuilder();
    private final DeliveryStats stats;
    private final HttpClient http;
    private final AtomicLongArray lastSent;
    private final long[] measuredPerTopic;
    private final String pad;
    private final int maxBatch;
    private final StringBuilder body = new StringBuilder();

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong warmupEvents = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
    private final AtomicLong maxLagNanos = new AtomicLong();
    private final Recorder requestMicros = new Recorder(TimeUnit.MINUTES.toMicros(1), 3);
    private volatile String firstFailure;
    private volatile boolean stop;

    public EventPublisher(Settings settings, DeliveryStats stats) {
        this.settings = settings;
        this.stats = stats;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        int topics = settings.topics().count();
        this.lastSent = new AtomicLongArray(topics);
        this.measuredPerTopic = new long[topics];
        this.pad = "x".repeat(settings.payload());
        int perEvent = settings.payload() + 120 + settings.eventType().length();
        this.maxBatch = Math.max(1, Math.min(MAX_BATCH_EVENTS, MAX_BATCH_BYTES / perEvent));
        if (isRedis(settings.url())) {
            this.redisClient = RedisClient.create(settings.url().toString());
            this.redis = redisClient.connect();
            redis.setTimeout(REQUEST_TIMEOUT);
        } else {
            this.redisClient = null;
            this.redis = null;
        }
    }

    @Override
    public long lastSent(int topic) {
        return lastSent.get(topic);
    }

    /**
     * Publishes every event due from {@code start} (an {@code EventClock} instant) for {@code warmup} plus
     * {@code duration}; events stamped within the warm-up are counted apart. Blocks until done or {@link #stop()}.
     */
    public void run(long start, Duration warmup, Duration duration) {
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        int topics = settings.topics().count();
        long n = 0;
        while (!stop) {
            long now = EventClock.now();
            long due = dueAt(start, n);
            if (due >= end) {
                break;
            }
            if (due > now) {
                LockSupport.parkNanos(Math.min(due - now, 10_000_000L));
                continue;
            }
            maxLagNanos.accumulateAndGet(now - due, Math::max);
            int count = 0;
            while (count < maxBatch && dueAt(start, n + count) <= now && dueAt(start, n + count) < end) {
                count++;
            }
            body.setLength(0);
            body.append("{\"events\":[");
            long sentAt = EventClock.now();
            for (int k = 0; k < count; k++) {
                long event = n + k;
                int topic = (int) (event % topics);
                long seq = event / topics + 1;
                long t = settings.stampScheduled() ? dueAt(start, event) : sentAt;
                if (redis != null) {
                    one.setLength(0);
                    appendEnvelope(one, 0, topic, seq, t);
                    pending.add(redis.async().publish(settings.redisPrefix() + settings.topics().name(topic), one.toString()));
                } else {
                    appendEnvelope(body, k, topic, seq, t);
                }
                lastSent.set(topic, seq);
            }
            body.append("]}");
            boolean taken = redis != null ? awaitPublished() : post(body.toString().getBytes(StandardCharsets.UTF_8));
            if (taken) {
                for (int k = 0; k < count; k++) {
                    long event = n + k;
                    long t = settings.stampScheduled() ? dueAt(start, event) : sentAt;
                    if (t < measureFrom) {
                        warmupEvents.incrementAndGet();
                    } else {
                        measuredPerTopic[(int) (event % topics)]++;
                    }
                }
                published.addAndGet(count);
            }
            n += count;
        }
    }

    private long dueAt(long start, long event) {
        return start + (long) (event * 1e9 / settings.rate());
    }

    private void appendEnvelope(StringBuilder body, int index, int topic, long seq, long t) {
        if (index > 0) {
            body.append(',');
        }
        body.append("{\"topic\":\"").append(settings.topics().name(topic))
                .append("\",\"event_type\":\"").append(settings.eventType())
                .append("\",\"data\":{\"seq\":").append(seq)
                .append(",\"t\":").append(t)
                .append(",\"pad\":\"");
        // {"seq":S,"t":T,"pad":""} is 22 bytes plus the digits
        int padding = settings.payload() - 22 - digits(seq) - digits(t);
        if (padding > 0) {
            body.append(pad, 0, padding);
        }
        body.append("\"}}");
    }

    static int digits(long v) {
        int d = 1;
        while (v >= 10) {
            v /= 10;
            d++;
        }
        return d;
    }

    /**
     * Redis ingress: waits until Redis took every PUBLISH of the batch. A failure is counted, not retried: a
     * resent PUBLISH could reach clients twice.
     */
    private boolean awaitPublished() {
        long sent = System.nanoTime();
        boolean ok = true;
        String failure = null;
        try {
            CompletableFuture.allOf(pending.stream().map(RedisFuture::toCompletableFuture).toArray(CompletableFuture[]::new))
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            ok = false;
            failure = String.valueOf(e.getCause());
        } catch (TimeoutException e) {
            ok = false;
            failure = "Redis did not answer within " + REQUEST_TIMEOUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop = true;
            ok = false;
            failure = "interrupted";
        }
        pending.clear();
        requestMicros.recordValue(Math.min(TimeUnit.MINUTES.toMicros(1), (System.nanoTime() - sent) / 1000));
        if (!ok) {
            failedRequests.incrementAndGet();
            if (firstFailure == null) {
                firstFailure = failure != null ? failure : "timeout";
            }
            stats.error(ErrorKind.PUBLISH);
        }
        return ok;
    }

    /** Posts one batch; with {@code retry}, until it is taken or the run stops. True when answered 202. */
    private boolean post(byte[] json) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(settings.url())
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        if (settings.token() != null) {
            rb.header("Authorization", "Bearer " + settings.token());
        }
        HttpRequest request = rb.build();
        long backoffMillis = 50;
        while (true) {
            String failure;
            try {
                long sent = System.nanoTime();
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                requestMicros.recordValue(Math.min(TimeUnit.MINUTES.toMicros(1), (System.nanoTime() - sent) / 1000));
                if (r.statusCode() == 202) {
                    return true;
                }
                String text = r.body();
                failure = "HTTP " + r.statusCode() + " " + (text.length() > 200 ? text.substring(0, 200) : text);
            } catch (IOException e) {
                failure = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop = true;
                return false;
            }
            failedRequests.incrementAndGet();
            if (firstFailure == null) {
                firstFailure = failure;
            }
            if (!settings.retry()) {
                stats.error(ErrorKind.PUBLISH);
                return false;
            }
            if (stop) {
                return false;
            }
            LockSupport.parkNanos(backoffMillis * 1_000_000L);
            backoffMillis = Math.min(1000, backoffMillis * 2);
        }
    }

    /** Stops publishing after the request in flight. */
    public void stop() {
        stop = true;
    }

    /** Closes the Redis connection, if any; call once {@link #run} returned. */
    public void close() {
        if (redis != null) {
            redis.close();
            redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Events the server took (202), warm-up included. */
    public long published() {
        return published.get();
    }

    public long warmupEvents() {
        return warmupEvents.get();
    }

    /** Events taken after the warm-up, per topic; read once {@link #run} returned. */
    public long[] measuredPerTopic() {
        return measuredPerTopic.clone();
    }

    public long failedRequests() {
        return failedRequests.get();
    }

    /** The first failure's status and body, or exception; null when none. */
    public String firstFailure() {
        return firstFailure;
    }

    /** Round-trip times of the publish requests (microseconds) since the last call. */
    public Histogram requestTimes() {
        return requestMicros.getIntervalHistogram();
    }

    /** How far behind schedule the publisher fell at worst. */
    public Duration maxLag() {
        return Duration.ofNanos(maxLagNanos.get());
    }
}
