package io.herald.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A WebSocket client on a bare socket that shows frames as they are on the wire: RSV bits, payload bytes untouched.
 * For RFC 7692 tests, where a library client would inflate what it reads and hide whether the server compressed.
 */
public final class RawWsClient implements AutoCloseable {
    /** One frame as received: its first header byte (FIN, RSV, opcode) and its payload. */
    public record Frame(int b0, byte[] payload) {
        public boolean rsv1() {
            return (b0 & 0x40) != 0;
        }

        public int opcode() {
            return b0 & 0x0f;
        }

        /** The payload as text, inflated first when RSV1 says it is compressed (no context takeover). */
        public String text() {
            return new String(rsv1() ? inflate(payload) : payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame. */
        public int closeCode() {
            return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    /** The 101 (or refusal) response head, lower-cased header names kept as sent. */
    public final String responseHead;

    private RawWsClient(Socket socket, String responseHead) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.responseHead = responseHead;
    }

    /** Upgrades {@code pathAndQuery} on {@code port}, offering {@code extensions} (null: no offer). */
    public static RawWsClient connect(int port, String pathAndQuery, String extensions) throws IOException {
        return connect(port, pathAndQuery, extensions, 0);
    }

    /**
     * {@link #connect(int, String, String)} with a socket receive buffer of {@code receiveBuffer} bytes (0: the
     * system's), set before connecting: a small one makes a client that stops reading fill up quickly.
     */
    public static RawWsClient connect(int port, String pathAndQuery, String extensions, int receiveBuffer)
            throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5000);
        StringBuilder req = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\nHost: localhost\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        if (extensions != null) {
            req.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
        }
        s.getOutputStream().write(req.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        InputStream raw = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = raw.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return new RawWsClient(s, head.toString(StandardCharsets.ISO_8859_1));
    }

    /** The value of response header {@code name}, or null. */
    public String header(String name) {
        for (String line : responseHead.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    public boolean upgraded() {
        return responseHead.startsWith("HTTP/1.1 101");
    }

    /** The next frame; throws on timeout or end of stream. */
    public Frame next() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        return new Frame(b0, payload);
    }

    /** The next text frame, skipping none: fails when the next frame is something else. */
    public Frame nextText() throws IOException {
        Frame f = next();
        if (f.opcode() != 1) {
            throw new AssertionError("expected a text frame, got opcode " + f.opcode() + " " + f.text());
        }
        return f;
    }

    /** Sends a text message, compressed (RSV1, RFC 7692 §7.2.1) when {@code deflate}. */
    public void sendText(String text, boolean deflate) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        sendFrame(deflate ? 0xC1 : 0x81, deflate ? deflate(bytes) : bytes);
    }

    /** Sends one masked frame with first header byte {@code b0}. */
    public void sendFrame(int b0, byte[] payload) throws IOException {
        out.write(NeverReadingClient.maskedFrame(b0, payload));
        out.flush();
    }

    /** DEFLATE with a sync flush and the trailing 00 00 ff ff removed, as RFC 7692 §7.2.1 sends a message. */
    public static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(data);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
            o.write(buf, 0, n);
        } while (n == buf.length);
        d.end();
        byte[] all = o.toByteArray();
        return java.util.Arrays.copyOf(all, all.length - 4);
    }

    /** RFC 7692 §7.2.2: appends 00 00 ff ff and inflates. */
    public static byte[] inflate(byte[] payload) {
        Inflater inf = new Inflater(true);
        byte[] in = java.util.Arrays.copyOf(payload, payload.length + 4);
        in[payload.length + 2] = (byte) 0xff;
        in[payload.length + 3] = (byte) 0xff;
        inf.setInput(in);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = inf.inflate(buf)) > 0) {
                o.write(buf, 0, n);
            }
        } catch (DataFormatException e) {
            throw new AssertionError("not a DEFLATE stream: " + e.getMessage());
        } finally {
            inf.end();
        }
        return o.toByteArray();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return responseHead.lines().findFirst().orElse("").toLowerCase(Locale.ROOT);
    }
}
