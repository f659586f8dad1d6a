package io.herald.e2e;

import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §1 {@code HERALD_TLS_CERT}/{@code HERALD_TLS_KEY}: the one port serves wss:// and https:// only. */
class TlsE2ETest {
    @TempDir
    static Path dir;

    static TestServer server;
    /** Trusts exactly the test certificate (and checks the host name against its SAN). */
    static HttpClient https;

    @BeforeAll
    static void start() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl did not finish");
        assertEquals(0, p.exitValue(), output);

        server = TestServer.start(b -> b.set(ConfigKey.TLS_CERT, cert.toString()).set(ConfigKey.TLS_KEY, key.toString()));

        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("herald-test", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> get(String url) {
        return TestServer.send(https, HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    // §1 TLS + §9: https GET /healthz → 200
    @Test
    void healthOverHttps() {
        HttpResponse<String> r = get(server.https("/healthz"));
        assertEquals(200, r.statusCode(), r.body());
    }

    // §1 TLS + §5 + §3: a wss:// realtime connection works end to end; the event is published over https
    @Test
    void realtimeOverWssEndToEnd() {
        String token = server.userToken("alice", "s1");
        try (WsTestClient ws = WsTestClient.connect(server.wss("/api/v1/realtime/ws?token=" + token))) {
            assertEquals(101, ws.httpStatus());
            assertEquals("connected", ws.nextJson().get("type").asText());
            ws.send("{\"action\":\"subscribe\",\"share_id\":\"s1\"}");
            assertEquals("{\"type\":\"subscribed\",\"share_id\":\"s1\"}", ws.next());

            HttpResponse<String> r = TestServer.send(https, HttpRequest.newBuilder(URI.create(server.https("/api/v1/publish")))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + server.publisherToken())
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f1\"}}"))
                    .build());
            assertEquals(202, r.statusCode(), r.body());
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s1\",\"data\":{\"id\":\"f1\"}}", ws.next());

            ws.send("{\"action\":\"ping\"}");
            assertEquals("{\"type\":\"pong\"}", ws.next());
        }
    }

    // §1 TLS: the TLS port does not speak plain ws://
    @Test
    void plainWebSocketToTheTlsPortFails() {
        WsTestClient ws = WsTestClient.start(server.ws("/api/v1/realtime/ws?token=" + server.userToken("alice")),
                new DefaultHttpHeaders());
        try {
            assertThrows(CompletionException.class,
                    () -> ws.handshakeDone().orTimeout(WsTestClient.WAIT.toMillis(), TimeUnit.MILLISECONDS).join());
            assertNotEquals(101, ws.httpStatus());
        } finally {
            ws.close();
        }
    }

    // §1 TLS: nor plain http://
    @Test
    void plainHttpToTheTlsPortFails() {
        HttpRequest plain = HttpRequest.newBuilder(URI.create(server.http("/healthz")))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(plain, HttpResponse.BodyHandlers.ofString());
            assertNotEquals(200, r.statusCode(), "plain HTTP was served on the TLS port: " + r.body());
        } catch (IOException expected) {
            // the server hung up on bytes that are not TLS
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
