package io.herald.protocol.socketio;

import io.herald.hub.Hub;
import io.herald.hub.Topic;
import io.herald.protocol.Endpoint;
import io.herald.protocol.TextFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * §12 {@code HERALD_SOCKETIO_ADAPTER}: delivers the broadcasts an unchanged Socket.IO app publishes through
 * {@code @socket.io/redis-adapter} or {@code @socket.io/redis-emitter} to Herald's own Socket.IO connections.
 *
 * <p>A connection is in the rooms named by its user id and its session id, as Immich joins them, so room {@code r}
 * is the topics {@code user:r} and {@code session:r}; an emit to everyone is {@code broadcast}. The frame
 * {@code 42[...]} is made once per broadcast and handed to the hub for the Socket.IO slot only (other endpoints'
 * connections on those topics get nothing), once per connection however many of the rooms it is in, minus the
 * {@code except} rooms' members. Only the default namespace {@code /} is served, as for Herald's own events (§7).
 */
public final class AdapterIngress implements Consumer<byte[]> {
    private static final Logger log = LoggerFactory.getLogger(AdapterIngress.class);

    private final Hub hub;
    private final ByteBufAllocator alloc;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder ignored = new LongAdder();
    private final AtomicLong lastWarned = new AtomicLong();

    public AdapterIngress(Hub hub, ByteBufAllocator alloc) {
        this.hub = hub;
        this.alloc = alloc;
    }

    /** One message from an adapter channel (broker thread); never throws. */
    @Override
    public void accept(byte[] message) {
        AdapterBroadcast b;
        try {
            b = AdapterBroadcast.decode(message);
        } catch (AdapterBroadcast.Unreadable e) {
            ignored.increment();
            warn("a Socket.IO adapter message Herald cannot read was dropped (" + e.getMessage() + ")");
            return;
        }
        if (b == null || !"/".equals(b.namespace())) {
            ignored.increment(); // requests, acks, binary, other namespaces: the app's own servers handle them
            return;
        }
        List<String> to = b.rooms().isEmpty() ? List.of(Topic.BROADCAST.name()) : topics(b.rooms());
        if (to.isEmpty()) {
            ignored.increment();
            return;
        }
        byte[] payload = new byte[2 + b.data().length];
        payload[0] = '4';
        payload[1] = '2';
        System.arraycopy(b.data(), 0, payload, 2, b.data().length);
        ByteBuf frame = TextFrames.text(alloc, payload); // a sealed WebSocket text frame, as the hub's renderers make

        hub.publishRooms(Endpoint.SOCKETIO.ordinal(), frame, to, topics(b.except()));
        delivered.increment();
    }

    /** Room {@code r}: the connections of user {@code r} and those of login session {@code r}. */
    static List<String> topics(List<String> rooms) {
        List<String> out = new ArrayList<>(rooms.size() * 2);
        for (String r : rooms) {
            if (Topic.isValidId(r)) {
                out.add(Topic.user(r).name());
                out.add(Topic.session(r).name());
            }
        }
        return out;
    }

    /** Broadcasts handed to the hub. */
    public long delivered() {
        return delivered.sum();
    }

    /** Messages not delivered: unreadable, requests, acks, binary, other namespaces. */
    public long ignored() {
        return ignored.sum();
    }

    private void warn(String what) {
        long now = System.nanoTime();
        long last = lastWarned.get();
        if (now - last > 10_000_000_000L && lastWarned.compareAndSet(last, now)) {
            log.warn("{} (at most one such line every 10 s)", what);
        }
    }
}
