package io.herald.cli;

import io.herald.config.Durations;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code herald.jar listen URL [--send JSON]... [--for 30s]}: a minimal WebSocket client for trying Herald
 * from a shell with nothing but a JDK. Prints every text message on its own line and the close code.
 * Uses the JDK's own WebSocket client; not part of the server.
 */
public final class ListenCommand {
    private ListenCommand() {
    }

    public static int run(String[] args) throws InterruptedException {
        String url = null;
        List<String> sends = new ArrayList<>();
        Duration limit = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--send" -> sends.add(value(args, ++i, "--send"));
                case "--for" -> limit = Durations.parse(value(args, ++i, "--for"));
                default -> {
                    if (url != null || args[i].startsWith("--")) {
                        throw new IllegalArgumentException("listen: unexpected argument " + args[i]
                                + " (usage: listen URL [--send JSON]... [--for 30s])");
                    }
                    url = args[i];
                }
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("listen: usage: listen URL [--send JSON]... [--for 30s]");
        }
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket ws;
        try {
            ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create(url), new Printer(closed)).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.err.println("listen: cannot connect: " + cause.getMessage());
            return 1;
        }
        for (String s : sends) {
            ws.sendText(s, true).join();
        }
        try {
            int code = limit == null ? closed.get() : closed.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return code == 1000 ? 0 : 3;
        } catch (TimeoutException e) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
            return 0;
        } catch (ExecutionException e) {
            System.err.println("listen: " + e.getCause().getMessage());
            return 1;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("listen: " + option + " needs a value");
        }
        return args[i];
    }

    private static final class Printer implements WebSocket.Listener {
        private final CompletableFuture<Integer> closed;
        private final StringBuilder partial = new StringBuilder();

        Printer(CompletableFuture<Integer> closed) {
            this.closed = closed;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                System.out.println(partial);
                System.out.flush();
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            System.out.println("closed " + code + " " + reason);
            System.out.flush();
            closed.complete(code);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
