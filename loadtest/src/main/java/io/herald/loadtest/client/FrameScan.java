package io.herald.loadtest.client;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Byte scans over a text frame, so the clients read the two numbers they need without parsing JSON.
 * The load tool writes {@code "seq"} and {@code "t"} first in every event's {@code data}, and the padding after
 * them is plain {@code x}s, so a scan finds both within a few dozen bytes and never in the padding.
 */
public final class FrameScan {
    static final byte[] SEQ = ascii("\"seq\":");
    static final byte[] T = ascii("\"t\":");

    private FrameScan() {
    }

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Index of {@code needle} in {@code buf}'s readable bytes from {@code from}, or -1. */
    public static int indexOf(ByteBuf buf, byte[] needle, int from) {
        int last = buf.writerIndex() - needle.length;
        byte first = needle[0];
        outer:
        for (int i = Math.max(from, buf.readerIndex()); i <= last; i++) {
            if (buf.getByte(i) != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (buf.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    public static boolean contains(ByteBuf buf, byte[] needle) {
        return indexOf(buf, needle, buf.readerIndex()) >= 0;
    }

    /** Whether the readable bytes start with {@code prefix}. */
    public static boolean startsWith(ByteBuf buf, byte[] prefix) {
        if (buf.readableBytes() < prefix.length) {
            return false;
        }
        int at = buf.readerIndex();
        for (int j = 0; j < prefix.length; j++) {
            if (buf.getByte(at + j) != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    /** The non-negative decimal integer at {@code at}, or -1 when there is none (or it overflows). */
    public static long number(ByteBuf buf, int at) {
        long v = 0;
        int end = buf.writerIndex();
        int i = at;
        while (i < end && buf.getByte(i) == ' ') {
            i++;
        }
        int start = i;
        for (; i < end; i++) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            if (v > (Long.MAX_VALUE - d) / 10) {
                return -1;
            }
            v = v * 10 + d;
        }
        return i == start ? -1 : v;
    }

    /**
     * An event's {@code seq} and {@code t}, or null when the frame holds no {@code "seq":} (a control frame).
     * Throws {@link IllegalArgumentException} when it holds {@code seq} but not both numbers.
     */
    public static Event event(ByteBuf frame) {
        int s = indexOf(frame, SEQ, frame.readerIndex());
        if (s < 0) {
            return null;
        }
        long seq = number(frame, s + SEQ.length);
        int t = indexOf(frame, T, s + SEQ.length);
        long sentAt = t < 0 ? -1 : number(frame, t + T.length);
        if (seq < 0 || sentAt < 0) {
            throw new IllegalArgumentException("event without numeric seq and t");
        }
        return new Event(seq, sentAt);
    }

    static final byte[] OFFSET = ascii("\"offset\":");
    static final byte[] EPOCH = ascii("\"epoch\":\"");
    static final byte[] RECOVERED_TRUE = ascii("\"recovered\":true");
    static final byte[] RECOVERED_LIST = ascii("\"recovered\":[\"");

    /**
     * §11: the {@code "offset"} Herald puts last in an event frame (after {@code data}, so never in the padding), or
     * -1. Scans only the frame's tail.
     */
    public static long tailOffset(ByteBuf frame) {
        int from = Math.max(frame.readerIndex(), frame.writerIndex() - 40);
        int at = indexOf(frame, OFFSET, from);
        return at < 0 ? -1 : number(frame, at + OFFSET.length);
    }

    /** §11: the first {@code "offset":} of a control frame ({@code subscribed}, {@code force_sync}), or -1. */
    public static long offset(ByteBuf frame) {
        int at = indexOf(frame, OFFSET, frame.readerIndex());
        return at < 0 ? -1 : number(frame, at + OFFSET.length);
    }

    /** §11: the first {@code "epoch":"…"} of a control frame, or null. */
    public static String epoch(ByteBuf frame) {
        int at = indexOf(frame, EPOCH, frame.readerIndex());
        if (at < 0) {
            return null;
        }
        int start = at + EPOCH.length;
        int end = start;
        while (end < frame.writerIndex() && frame.getByte(end) != '"' && end - start < 64) {
            end++;
        }
        return end == start ? null : frame.toString(start, end - start, StandardCharsets.US_ASCII);
    }

    /** §11: whether a {@code subscribed} frame says the resume was recovered (realtime, channels, or sync's list). */
    public static boolean recovered(ByteBuf frame) {
        return contains(frame, RECOVERED_TRUE) || contains(frame, RECOVERED_LIST);
    }

    /** The two numbers of one event; scalar-replaced by the JIT on the hot path. */
    public record Event(long seq, long sentAt) {
    }
}
