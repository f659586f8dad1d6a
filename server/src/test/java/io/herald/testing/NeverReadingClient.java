package io.herald.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hostile WebSocket client on a raw socket (§8.3): it completes the opening handshake, then only writes,
 * never reading another byte, so everything Herald answers piles up on Herald's side unless Herald bounds it.
 * Writes are non-blocking and bounded in bytes and time, so the client stops by itself when Herald stops reading.
 */
public final class NeverReadingClient implements AutoCloseable {
    private final SocketChannel socket;

    private NeverReadingClient(SocketChannel socket) {
        this.socket = socket;
    }

    /** Opens {@code pathAndQuery} on loopback {@code port} and reads the 101 response, nothing after it. */
    public static NeverReadingClient open(int port, String pathAndQuery) throws IOException {
        SocketChannel s = SocketChannel.open();
        // A small receive window: the kernel absorbs little of what Herald answers, so Herald's own bound shows.
        s.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        String req = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        s.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
        // Read byte by byte up to the end of the response head, so no frame after it is consumed.
        StringBuilder head = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!head.toString().endsWith("\r\n\r\n")) {
            one.clear();
            if (s.read(one) < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.append((char) one.get(0));
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("no upgrade: " + head);
        }
        s.configureBlocking(false);
        return new NeverReadingClient(s);
    }

    /** A masked client frame (RFC 6455 §5.2, §5.3) with {@code opcode} (1 text, 9 ping). */
    public static byte[] frame(int opcode, byte[] payload) {
        return maskedFrame(0x80 | opcode, payload);
    }

    /** A masked client frame whose first header byte (FIN, RSV bits, opcode) is {@code b0}. */
    public static byte[] maskedFrame(int b0, byte[] payload) {
        int n = payload.length;
        int header = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
        ByteBuffer b = ByteBuffer.allocate(header + 4 + n);
        b.put((byte) b0);
        if (n <= 125) {
            b.put((byte) (0x80 | n));
        } else if (n <= 0xFFFF) {
            b.put((byte) (0x80 | 126)).putShort((short) n);
        } else {
            b.put((byte) (0x80 | 127)).putLong(n);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        b.put(mask);
        for (int i = 0; i < n; i++) {
            b.put((byte) (payload[i] ^ mask[i & 3]));
        }
        return b.array();
    }

    /**
     * Writes {@code frame} {@code perSecond} times a second (under §8.4's command rate) for {@code millis}, or until
     * Herald stops reading. Returns the bytes written.
     */
    public long flood(byte[] frame, int perSecond, long millis) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000L;
        long written = 0;
        long frames = 0;
        ByteBuffer buf = ByteBuffer.wrap(frame);
        while (System.nanoTime() < deadline) {
            if (!buf.hasRemaining()) {
                frames++;
                long due = start + frames * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                }
                buf.rewind();
            }
            int w = socket.write(buf);
            if (w == 0) {
                Thread.sleep(5);
            }
            written += w;
        }
        return written;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
