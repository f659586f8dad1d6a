package io.herald.loadtest.client;

import io.herald.loadtest.Topics;
import io.netty.buffer.ByteBuf;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * How a client of each kind of server connects, subscribes and reads control frames. Event frames are the same
 * for all: they carry the load tool's {@code data} object and are read by {@link FrameScan#event}.
 */
public enum Dialect {
    /** Herald §5: subscribe per share, {@code {"type":"<event_type>","share_id":...,"data":{...}}}. */
    REALTIME(true) {
        @Override
        public String path(Topics topics, int topic, int client) {
            return "/api/v1/realtime/ws";
        }

        @Override
        public String afterUpgrade(Topics topics, int topic) {
            return "{\"action\":\"subscribe\",\"share_id\":\"" + topics.id(topic) + "\"}";
        }

        @Override
        public String resume(Topics topics, int topic, String epoch, long offset) {
            return "{\"action\":\"subscribe\",\"share_id\":\"" + topics.id(topic) + "\",\"since\":" + since(epoch, offset) + "}";
        }

        @Override
        public Inbound classify(ByteBuf text) {
            if (FrameScan.contains(text, TYPE_SUBSCRIBED)) {
                return Inbound.SUBSCRIBED;
            }
            if (FrameScan.contains(text, TYPE_FORCE_SYNC)) {
                return Inbound.FORCE_SYNC;
            }
            return FrameScan.contains(text, TYPE_ERROR) ? Inbound.ERROR : Inbound.OTHER;
        }
    },
    /**
     * Herald §6: {@code /ws}, one channel per client, {@code {"type":"subscribe","data":{"channel":...}}};
     * events are {@code {"type":"<event_type>","channel":...,"data":{...},"timestamp":...}}.
     */
    CHANNELS(true) {
        @Override
        public String path(Topics topics, int topic, int client) {
            return "/ws";
        }

        @Override
        public String afterUpgrade(Topics topics, int topic) {
            return "{\"type\":\"subscribe\",\"data\":{\"channel\":\"" + topics.id(topic) + "\"}}";
        }

        @Override
        public String resume(Topics topics, int topic, String epoch, long offset) {
            return "{\"type\":\"subscribe\",\"data\":{\"channel\":\"" + topics.id(topic) + "\",\"since\":"
                    + since(epoch, offset) + "}}";
        }

        @Override
        public Inbound classify(ByteBuf text) {
            if (FrameScan.contains(text, TYPE_SUBSCRIBED)) {
                return Inbound.SUBSCRIBED;
            }
            if (FrameScan.contains(text, TYPE_FORCE_SYNC)) {
                return Inbound.FORCE_SYNC;
            }
            return FrameScan.contains(text, TYPE_ERROR) ? Inbound.ERROR : Inbound.OTHER;
        }
    },
    /** Herald §4: one device per connection, one {@code subscribe} for every share of the token. */
    SYNC(true) {
        @Override
        public String path(Topics topics, int topic, int client) {
            return "/api/v1/sync/ws/" + device(client);
        }

        @Override
        public String afterUpgrade(Topics topics, int topic) {
            return "{\"type\":\"subscribe\"}";
        }

        @Override
        public String resume(Topics topics, int topic, String epoch, long offset) {
            return "{\"type\":\"subscribe\",\"since\":{\"" + topics.id(topic) + "\":" + since(epoch, offset) + "}}";
        }

        @Override
        public String eventType() {
            return "change"; // §4: the only share event type the sync endpoint forwards
        }

        @Override
        public Inbound classify(ByteBuf text) {
            if (FrameScan.contains(text, TYPE_SUBSCRIBED)) {
                return Inbound.SUBSCRIBED;
            }
            if (FrameScan.contains(text, EVENT_TYPE_FORCE_SYNC)) {
                return Inbound.FORCE_SYNC;
            }
            return FrameScan.contains(text, TYPE_ERROR) ? Inbound.ERROR : Inbound.OTHER;
        }
    },
    /**
     * Peer servers (Socket.IO, netty-socketio): Engine.IO v4 over WebSocket only. OPEN {@code 0{...}}, then
     * CONNECT {@code 40} answered {@code 40{"sid":...}}; the server pings {@code 2}, the client answers {@code 3};
     * events are {@code 42["<event_type>",<data>]}. The peer joins the socket to the room named in the query.
     */
    SOCKETIO(false) {
        @Override
        public String path(Topics topics, int topic, int client) {
            return "/socket.io/?EIO=4&transport=websocket&topic=" + query(topics.name(topic));
        }

        @Override
        public Inbound classify(ByteBuf text) {
            if (!text.isReadable()) {
                return Inbound.OTHER;
            }
            if (FrameScan.startsWith(text, SIO_CONNECTED)) {
                return Inbound.SUBSCRIBED;
            }
            if (FrameScan.startsWith(text, SIO_FORCE_SYNC)) {
                return Inbound.FORCE_SYNC;
            }
            if (FrameScan.startsWith(text, SIO_CONNECT_ERROR)) {
                return Inbound.ERROR;
            }
            byte packet = text.getByte(text.readerIndex());
            if (packet == '0') {
                return Inbound.OPEN;
            }
            return packet == '2' ? Inbound.PING : Inbound.OTHER;
        }

        @Override
        public String reply(Inbound what) {
            switch (what) {
                case OPEN:
                    return "40"; // Socket.IO CONNECT to the main namespace
                case PING:
                    return "3"; // Engine.IO PONG
                default:
                    return null;
            }
        }

        @Override
        public boolean sendsWebSocketPings() {
            return false; // Engine.IO has its own heartbeat, driven by the server
        }
    },
    /** The bare-Netty ceiling peer: {@code /ws?topic=<topic>}, subscribed by the upgrade itself. */
    RAW(false) {
        @Override
        public String path(Topics topics, int topic, int client) {
            return "/ws?topic=" + query(topics.name(topic));
        }

        @Override
        public boolean subscribedOnUpgrade() {
            return true;
        }

        @Override
        public Inbound classify(ByteBuf text) {
            if (FrameScan.contains(text, TYPE_FORCE_SYNC)) {
                return Inbound.FORCE_SYNC;
            }
            return FrameScan.contains(text, TYPE_ERROR) ? Inbound.ERROR : Inbound.OTHER;
        }
    };

    static final byte[] TYPE_SUBSCRIBED = FrameScan.ascii("\"type\":\"subscribed\"");
    static final byte[] TYPE_FORCE_SYNC = FrameScan.ascii("\"type\":\"force_sync\"");
    static final byte[] TYPE_ERROR = FrameScan.ascii("\"type\":\"error\"");
    static final byte[] EVENT_TYPE_FORCE_SYNC = FrameScan.ascii("\"event_type\":\"force_sync\"");
    static final byte[] SIO_CONNECTED = FrameScan.ascii("40");
    static final byte[] SIO_CONNECT_ERROR = FrameScan.ascii("44");
    static final byte[] SIO_FORCE_SYNC = FrameScan.ascii("42[\"force_sync\"");

    private final boolean needsToken;

    Dialect(boolean needsToken) {
        this.needsToken = needsToken;
    }

    /** Whether the server refuses a client without a token (Herald's endpoints; the peers take none). */
    public boolean needsToken() {
        return needsToken;
    }

    /** Path and query of client {@code client}'s WebSocket URL. */
    public abstract String path(Topics topics, int topic, int client);

    /** The device id of a sync client; its token lists it in {@code devices}. */
    public static String device(int client) {
        return "dev-" + client;
    }

    /** The {@code event_type} the publisher uses, one this dialect forwards. */
    public String eventType() {
        return "loadtest";
    }

    /** The text frame that subscribes, sent as soon as the upgrade completes; null when none is needed. */
    public String afterUpgrade(Topics topics, int topic) {
        return null;
    }

    /**
     * §11: the subscribe of a client that stands at ({@code epoch}, {@code offset}) in its topic's history, so that
     * Herald sends what it missed; the plain subscribe where the dialect has no resume.
     */
    public String resume(Topics topics, int topic, String epoch, long offset) {
        return afterUpgrade(topics, topic);
    }

    private static String since(String epoch, long offset) {
        return "{\"epoch\":\"" + epoch + "\",\"offset\":" + offset + "}";
    }

    /** Whether the completed upgrade is itself the subscription. */
    public boolean subscribedOnUpgrade() {
        return false;
    }

    /** Classifies a text frame that is not an event. */
    public abstract Inbound classify(ByteBuf text);

    /** The text frame that answers {@code what}, or null. */
    public String reply(Inbound what) {
        return null;
    }

    /** Whether the client keeps an idle connection alive with WebSocket pings (§8.1). */
    public boolean sendsWebSocketPings() {
        return true;
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
