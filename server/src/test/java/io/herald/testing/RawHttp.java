package io.herald.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Sends bytes no well-behaved HTTP client would, and reads the answer until the server closes or stops. */
public final class RawHttp {
    private RawHttp() {
    }

    /** Writes {@code request} and returns what came back within a few seconds (status line first). */
    public static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    String text = out.toString(StandardCharsets.ISO_8859_1);
                    int headerEnd = text.indexOf("\r\n\r\n");
                    if (headerEnd >= 0 && bodyComplete(text, headerEnd)) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // whatever arrived is the answer
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean bodyComplete(String text, int headerEnd) {
        String head = text.substring(0, headerEnd).toLowerCase(java.util.Locale.ROOT);
        int cl = head.indexOf("content-length:");
        if (cl < 0) {
            return true;
        }
        int eol = head.indexOf("\r\n", cl);
        int length = Integer.parseInt(head.substring(cl + 15, eol < 0 ? head.length() : eol).trim());
        return text.length() - headerEnd - 4 >= length;
    }

    /**
     * One connection that sends a request in pieces (a head now, a body later or never) and reads the answer as it
     * comes: for rules about what the server does before the rest of a request arrives (§9).
     */
    /** How many times {@code what} occurs in {@code text} (responses on one connection, lines of a stream). */
    public static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    public static final class Conversation implements AutoCloseable {
        private final Socket socket;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        private Conversation(Socket socket) {
            this.socket = socket;
        }

        public static Conversation open(int port) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            return new Conversation(s);
        }

        public boolean write(String text) {
            return write(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Writes and flushes; false once the server has closed or reset the connection. */
        public boolean write(byte[] bytes) {
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** One chunk of a chunked body (RFC 9112 §7.1) of {@code size} bytes. */
        public boolean writeChunk(int size) {
            byte[] data = new byte[size];
            java.util.Arrays.fill(data, (byte) 'x');
            return write(Integer.toHexString(size) + "\r\n") && write(data) && write("\r\n");
        }

        /** The response (status line, headers, a Content-Length body) once complete, or what came within {@code wait}. */
        public String response(Duration wait) throws IOException {
            return until(text -> {
                int headerEnd = text.indexOf("\r\n\r\n");
                return headerEnd >= 0 && bodyComplete(text, headerEnd);
            }, wait);
        }

        /** Everything received on this connection once {@code done} holds for it, or what came within {@code wait}. */
        public String until(java.util.function.Predicate<String> done, Duration wait) throws IOException {
            long deadline = System.nanoTime() + wait.toNanos();
            byte[] buf = new byte[8192];
            while (true) {
                String text = received.toString(StandardCharsets.ISO_8859_1);
                if (done.test(text)) {
                    return text;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return text;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                try {
                    int n = socket.getInputStream().read(buf);
                    if (n < 0) {
                        return received.toString(StandardCharsets.ISO_8859_1);
                    }
                    received.write(buf, 0, n);
                } catch (SocketTimeoutException e) {
                    return received.toString(StandardCharsets.ISO_8859_1);
                } catch (java.net.SocketException e) {
                    return received.toString(StandardCharsets.ISO_8859_1); // reset: whatever arrived is the answer
                }
            }
        }

        /** True when the server ends the connection (end of stream or reset) within {@code wait}; later bytes are dropped. */
        public boolean closedWithin(Duration wait) throws IOException {
            long deadline = System.nanoTime() + wait.toNanos();
            byte[] buf = new byte[8192];
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                try {
                    if (socket.getInputStream().read(buf) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                } catch (java.net.SocketException e) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
