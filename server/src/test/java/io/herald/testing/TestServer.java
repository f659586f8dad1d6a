package io.herald.testing;

import io.herald.Gateway;
import io.herald.auth.TokenIssuer;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** A real Herald on a free loopback port with a known secret, plus token and HTTP helpers for tests. */
public final class TestServer implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
    public static final String SECRET = "test-secret-test-secret-test-secret-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Consumer<HeraldConfig.Builder> customize;
    private final TokenIssuer issuer = new TokenIssuer(SECRET);
    private Gateway gateway;

    private TestServer(Consumer<HeraldConfig.Builder> customize) {
        this.customize = customize;
    }

    /** For {@code @RegisterExtension static final TestServer server = TestServer.perClass(...)}: one per test class. */
    public static TestServer perClass(Consumer<HeraldConfig.Builder> customize) {
        return new TestServer(customize);
    }

    public static TestServer perClass() {
        return perClass(b -> { });
    }

    /** Starts one now; the caller closes it. */
    public static TestServer start(Consumer<HeraldConfig.Builder> customize) {
        TestServer s = new TestServer(customize);
        s.open();
        return s;
    }

    public static TestServer start() {
        return start(b -> { });
    }

    private void open() {
        HeraldConfig.Builder b = HeraldConfig.builder()
                .set(ConfigKey.BIND, "127.0.0.1")
                .port(0)
                .jwtSecret(SECRET)
                .set(ConfigKey.INSTANCE_ID, "test")
                .set(ConfigKey.DRAIN, "200ms")
                // §11 history off unless a test is about it: the frames of §4-§7 then carry no positions
                .set(ConfigKey.HISTORY_SIZE, "0");
        customize.accept(b);
        gateway = Gateway.start(b.build());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        open();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    public Gateway gateway() {
        return gateway;
    }

    public int port() {
        return gateway.port();
    }

    public String ws(String pathAndQuery) {
        return "ws://127.0.0.1:" + port() + pathAndQuery;
    }

    public String http(String pathAndQuery) {
        return "http://127.0.0.1:" + port() + pathAndQuery;
    }

    /** For a server started with {@code HERALD_TLS_CERT}/{@code HERALD_TLS_KEY} (§1). */
    public String wss(String pathAndQuery) {
        return "wss://127.0.0.1:" + port() + pathAndQuery;
    }

    public String https(String pathAndQuery) {
        return "https://127.0.0.1:" + port() + pathAndQuery;
    }

    /** A one-hour token. */
    public String token(String sub, List<String> shares, List<String> devices, List<String> roles) {
        return issuer.issue(sub, shares, devices, List.of(), roles, Duration.ofHours(1));
    }

    public String userToken(String sub, String... shares) {
        return token(sub, List.of(shares), List.of(), List.of());
    }

    public String publisherToken() {
        return token("backend", List.of(), List.of(), List.of("publisher"));
    }

    public String adminToken() {
        return token("ops", List.of(), List.of(), List.of("admin"));
    }

    public HttpResponse<String> post(String path, String token, String body) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(http(path)))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return send(r.build());
    }

    public HttpResponse<String> get(String path, String token) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(http(path))).timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return send(r.build());
    }

    /**
     * §9 stats as an admin reads them ({@code query}: {@code ""} or {@code "?scope=cluster"}), polled until
     * {@code settled} holds for them (they move as connections open and close on other threads) or 10 s passed;
     * the last reading either way, for the caller to assert on.
     */
    public JsonNode statsWhen(String query, Predicate<JsonNode> settled) throws InterruptedException {
        JsonNode s = null;
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> r = get("/api/v1/realtime/stats" + query, adminToken());
            if (r.statusCode() != 200) {
                throw new AssertionError("stats answered " + r.statusCode() + ": " + r.body());
            }
            s = WsTestClient.json(r.body());
            if (settled.test(s)) {
                break;
            }
            Thread.sleep(50);
        }
        return s;
    }

    /** Publishes through the HTTP API as a publisher and asserts 202. */
    public void publish(String body) {
        HttpResponse<String> r = post("/api/v1/publish", publisherToken(), body);
        if (r.statusCode() != 202) {
            throw new AssertionError("publish answered " + r.statusCode() + ": " + r.body());
        }
    }

    public static HttpResponse<String> send(HttpRequest r) {
        return send(HTTP, r);
    }

    /** Sends with a client of the test's own, e.g. one that trusts a test TLS certificate. */
    public static HttpResponse<String> send(HttpClient client, HttpRequest r) {
        try {
            return client.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
    }
}
