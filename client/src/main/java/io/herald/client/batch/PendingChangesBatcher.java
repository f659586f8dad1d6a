package io.herald.client.batch;

import io.herald.client.EventListener;
import io.herald.client.HeraldEvent;
import io.herald.client.time.Scheduler;
import io.herald.client.time.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Predicate;

/**
 * The pending-changes batcher of mobile apps: collects events and hands them over in batches, so a burst of
 * changes costs one refresh, not one per event. Register it as an {@link EventListener} of a client.
 *
 * <p>Two lanes, each handing over its own {@link Batch}:
 * <ul>
 *   <li><b>changes</b> (every event that is not upload-like): handed over once {@code quietPeriod} (500 ms)
 *       passed without another change — a debounce;</li>
 *   <li><b>uploads</b> (events matching {@code uploadLike}; by default {@link #DEFAULT_UPLOAD_TYPES}): handed
 *       over once {@code uploadWindow} (5 s) passed without another upload-like event, so a bulk upload is
 *       coalesced into few batches.</li>
 * </ul>
 * Either way no event is held longer than {@code maxWait} (10 s) after the first event of its batch arrived: a
 * steady trickle, which would keep a debounce waiting forever, still gets handed over. (The cap on the changes
 * lane is Herald's choice; the mobile apps cap only the uploads.)
 *
 * <p>Time comes from an injected {@link Ticker} and {@link Scheduler}. One timer per lane: an event only notes
 * its arrival time; when the timer fires it hands over, or re-arms for the lane's current deadline,
 * {@code min(last + quiet, first + maxWait)}. Thread-safe; the listener is called outside the lock, and an
 * exception it throws is logged.
 */
public final class PendingChangesBatcher implements EventListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PendingChangesBatcher.class);

    public static final Duration DEFAULT_QUIET_PERIOD = Duration.ofMillis(500);
    public static final Duration DEFAULT_UPLOAD_WINDOW = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(10);
    /** §5 file events and the Immich upload notifications of §7. */
    public static final Set<String> DEFAULT_UPLOAD_TYPES =
            Set.of("file_created", "file_updated", "AssetUploadReadyV1", "on_upload_success");
    public static final Predicate<HeraldEvent> DEFAULT_UPLOAD_LIKE = e -> DEFAULT_UPLOAD_TYPES.contains(e.type());

    private final BatchListener listener;
    private final Predicate<HeraldEvent> uploadLike;
    private final Ticker ticker;
    private final Scheduler scheduler;
    private final ScheduledThreadPoolExecutor ownExecutor;
    private final Lane changes;
    private final Lane uploads;
    private boolean closed;

    private PendingChangesBatcher(Builder b) {
        this.listener = Objects.requireNonNull(b.listener, "listener");
        this.uploadLike = Objects.requireNonNull(b.uploadLike, "uploadLike");
        Duration maxWait = positive(b.maxWait, "maxWait");
        this.changes = new Lane(Batch.Kind.CHANGES, positive(b.quietPeriod, "quietPeriod"), maxWait);
        this.uploads = new Lane(Batch.Kind.UPLOADS, positive(b.uploadWindow, "uploadWindow"), maxWait);
        if (b.scheduler != null) {
            this.scheduler = b.scheduler;
            this.ownExecutor = null;
        } else {
            this.ownExecutor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "herald-batcher");
                t.setDaemon(true);
                return t;
            });
            this.ownExecutor.setRemoveOnCancelPolicy(true);
            this.scheduler = Scheduler.of(ownExecutor);
        }
        this.ticker = b.ticker != null ? b.ticker : Ticker.system();
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
        return d;
    }

    public static Builder builder(BatchListener listener) {
        return new Builder(listener);
    }

    @Override
    public void onEvent(HeraldEvent event) {
        add(event);
    }

    /** Queues an event in its lane. Ignored after {@link #close()}. */
    public void add(HeraldEvent event) {
        Lane lane = uploadLike.test(event) ? uploads : changes;
        synchronized (this) {
            if (closed) {
                return;
            }
            lane.add(event, ticker.nanoTime());
        }
    }

    /** Hands over everything pending now (e.g. when the app goes to the background). */
    public void flush() {
        List<Batch> out = new ArrayList<>(2);
        synchronized (this) {
            changes.takeAll(out);
            uploads.takeAll(out);
        }
        out.forEach(this::deliver);
    }

    /** Hands over what is pending, then ignores further events and stops its timers. */
    @Override
    public void close() {
        flush();
        synchronized (this) {
            closed = true;
        }
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }

    private void deliver(Batch batch) {
        try {
            listener.onBatch(batch);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            log.warn("batch listener {} threw on a batch of {} {}; ignored", listener, batch.events().size(),
                    batch.kind(), t);
        }
    }

    /** One lane's pending events and its single timer. Guarded by the batcher's lock. */
    private final class Lane {
        private final Batch.Kind kind;
        private final long quietNanos;
        private final long maxWaitNanos;
        private final List<HeraldEvent> pending = new ArrayList<>();
        private long firstAt;
        private long lastAt;
        private Scheduler.Cancellable timer;
        /** Tells the armed timer from cancelled ones that fire anyway (cancel can race with running). */
        private long generation;

        Lane(Batch.Kind kind, Duration quiet, Duration maxWait) {
            this.kind = kind;
            this.quietNanos = quiet.toNanos();
            this.maxWaitNanos = maxWait.toNanos();
        }

        void add(HeraldEvent e, long now) {
            if (pending.isEmpty()) {
                firstAt = now;
            }
            pending.add(e);
            lastAt = now;
            if (timer == null) {
                arm(now);
            }
        }

        private long deadline() {
            return Math.min(lastAt + quietNanos, firstAt + maxWaitNanos);
        }

        private void arm(long now) {
            long g = ++generation;
            timer = scheduler.schedule(() -> fire(g), Math.max(0, deadline() - now));
        }

        private void fire(long g) {
            Batch batch;
            synchronized (PendingChangesBatcher.this) {
                if (g != generation) {
                    return;
                }
                timer = null;
                if (pending.isEmpty() || closed) {
                    return;
                }
                long now = ticker.nanoTime();
                if (now - deadline() < 0) {
                    arm(now); // events arrived since the timer was set: wait for the later deadline
                    return;
                }
                batch = take();
            }
            deliver(batch);
        }

        void takeAll(List<Batch> out) {
            if (!pending.isEmpty()) {
                out.add(take());
            }
        }

        private Batch take() {
            Batch b = new Batch(kind, pending);
            pending.clear();
            if (timer != null) {
                timer.cancel();
                timer = null;
                generation++;
            }
            return b;
        }
    }

    public static final class Builder {
        private final BatchListener listener;
        private Duration quietPeriod = DEFAULT_QUIET_PERIOD;
        private Duration uploadWindow = DEFAULT_UPLOAD_WINDOW;
        private Duration maxWait = DEFAULT_MAX_WAIT;
        private Predicate<HeraldEvent> uploadLike = DEFAULT_UPLOAD_LIKE;
        private Ticker ticker;
        private Scheduler scheduler;

        private Builder(BatchListener listener) {
            this.listener = listener;
        }

        public Builder quietPeriod(Duration d) {
            this.quietPeriod = d;
            return this;
        }

        public Builder uploadWindow(Duration d) {
            this.uploadWindow = d;
            return this;
        }

        public Builder maxWait(Duration d) {
            this.maxWait = d;
            return this;
        }

        /** Which events go to the uploads lane. */
        public Builder uploadLike(Predicate<HeraldEvent> p) {
            this.uploadLike = p;
            return this;
        }

        /** Default: {@link Ticker#system()}. */
        public Builder ticker(Ticker t) {
            this.ticker = t;
            return this;
        }

        /** Default: a daemon thread of the batcher's own, stopped by {@link #close()}. */
        public Builder scheduler(Scheduler s) {
            this.scheduler = s;
            return this;
        }

        public PendingChangesBatcher build() {
            return new PendingChangesBatcher(this);
        }
    }
}
