package io.herald.e2e;

import io.herald.testing.TestServer;
import io.herald.testing.WsTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** §9 {@code GET /metrics}: Prometheus text format, and the figures §9 names, over a real server. */
class MetricsE2ETest {
    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    // --- a small parser for the Prometheus text exposition format 0.0.4 ---

    record Sample(String name, Map<String, String> labels, double value) {
    }

    /** Every sample and every family's declared type; fails on any line it cannot parse. */
    record Exposition(List<Sample> samples, Map<String, String> types) {
        /** The one sample named {@code name} whose labels include {@code labels}; fails unless exactly one. */
        Sample one(String name, Map<String, String> labels) {
            List<Sample> found = new ArrayList<>();
            for (Sample s : samples) {
                if (s.name.equals(name) && s.labels.entrySet().containsAll(labels.entrySet())) {
                    found.add(s);
                }
            }
            assertEquals(1, found.size(), "samples of " + name + labels + ": " + found);
            return found.get(0);
        }

        double value(String name, Map<String, String> labels) {
            return one(name, labels).value;
        }

        double value(String name) {
            return value(name, Map.of());
        }

        List<Sample> named(String name) {
            return samples.stream().filter(s -> s.name.equals(name)).toList();
        }
    }

    static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    static final Pattern FLOAT = Pattern.compile(
            "[+-]?(?:Inf|NaN|(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)");
    static final Pattern TIMESTAMP = Pattern.compile("-?[0-9]+");
    static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    static Exposition parse(String body) {
        assertTrue(body.isEmpty() || body.endsWith("\n"), "the last line must end with a line feed");
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new java.util.HashSet<>();
        Set<String> seenSamples = new java.util.HashSet<>();
        String[] lines = body.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + ": " + line;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[0].equals("#") && parts[1].equals("HELP")) {
                    assertTrue(METRIC_NAME.matcher(parts[2]).matches(), "bad metric name, " + where);
                    assertTrue(helped.add(parts[2]), "second HELP, " + where);
                    String doc = parts.length == 4 ? parts[3] : "";
                    for (int k = 0; k < doc.length(); k++) {
                        if (doc.charAt(k) == '\\') {
                            assertTrue(k + 1 < doc.length() && "\\n".indexOf(doc.charAt(k + 1)) >= 0,
                                    "bad escape in HELP, " + where);
                            k++;
                        }
                    }
                } else if (parts.length >= 3 && parts[0].equals("#") && parts[1].equals("TYPE")) {
                    assertEquals(4, parts.length, "TYPE needs a name and a type, " + where);
                    assertTrue(METRIC_NAME.matcher(parts[2]).matches(), "bad metric name, " + where);
                    assertTrue(TYPES.contains(parts[3]), "unknown type, " + where);
                    assertTrue(types.put(parts[2], parts[3]) == null, "second TYPE, " + where);
                    for (Sample s : samples) {
                        assertTrue(!family(s.name, Map.of(parts[2], parts[3])).equals(parts[2]),
                                "TYPE after a sample of its family, " + where);
                    }
                }
                continue; // any other '#' line is a comment
            }
            Sample s = parseSample(line, where);
            String key = s.name + new TreeMap<>(s.labels);
            assertTrue(seenSamples.add(key), "duplicate sample, " + where);
            samples.add(s);
        }
        return new Exposition(samples, types);
    }

    /** The family a sample belongs to: its own name, or the declared histogram/summary/counter it is part of. */
    static String family(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_created", "_total"}) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                if (types.containsKey(base)) {
                    return base;
                }
            }
        }
        return name;
    }

    static Sample parseSample(String line, String where) {
        int i = 0;
        int n = line.length();
        while (i < n && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) {
            i++;
        }
        String name = line.substring(0, i);
        if (!METRIC_NAME.matcher(name).matches()) {
            fail("bad metric name, " + where);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < n && line.charAt(i) == '{') {
            i++;
            while (true) {
                if (i < n && line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int start = i;
                while (i < n && line.charAt(i) != '=') {
                    i++;
                }
                String label = line.substring(start, i);
                if (i >= n || !LABEL_NAME.matcher(label).matches()) {
                    fail("bad label name, " + where);
                }
                i++; // '='
                if (i >= n || line.charAt(i) != '"') {
                    fail("label value must be quoted, " + where);
                }
                i++;
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (i >= n) {
                        fail("unterminated label value, " + where);
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        if (i >= n) {
                            fail("dangling escape, " + where);
                        }
                        char e = line.charAt(i++);
                        switch (e) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> fail("bad escape \\" + e + ", " + where);
                        }
                    } else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    fail("duplicate label " + label + ", " + where);
                }
                if (i < n && line.charAt(i) == ',') {
                    i++;
                } else if (i >= n || line.charAt(i) != '}') {
                    fail("expected ',' or '}', " + where);
                }
            }
        }
        if (i >= n || line.charAt(i) != ' ') {
            fail("expected a space before the value, " + where);
        }
        String[] rest = line.substring(i).trim().split("[ \\t]+");
        if (rest.length < 1 || rest.length > 2 || !FLOAT.matcher(rest[0]).matches()) {
            fail("bad value, " + where);
        }
        if (rest.length == 2 && !TIMESTAMP.matcher(rest[1]).matches()) {
            fail("bad timestamp, " + where);
        }
        String v = rest[0];
        double value = v.endsWith("Inf") ? (v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
                : v.endsWith("NaN") ? Double.NaN : Double.parseDouble(v);
        return new Sample(name, labels, value);
    }

    // --- the tests ---

    static HttpResponse<String> scrapeResponse() {
        HttpResponse<String> r = server.get("/metrics", null);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    static Exposition scrape() {
        return parse(scrapeResponse().body());
    }

    /** Metrics move on other threads (delivery is counted after the write): poll until they settle. */
    static Exposition scrapeWhen(Predicate<Exposition> settled) throws InterruptedException {
        Exposition e = scrape();
        for (int i = 0; i < 200 && !settled.test(e); i++) {
            Thread.sleep(50);
            e = scrape();
        }
        return e;
    }

    static final String LATENCY = "herald_delivery_latency_seconds";

    static double latencyCount(Exposition e) {
        return e.value(LATENCY + "_count");
    }

    // §9: GET /metrics → 200, Prometheus text format 0.0.4; every line parses
    @Test
    void metricsAreValidPrometheusText() {
        HttpResponse<String> r = scrapeResponse();
        String type = r.headers().firstValue("Content-Type").orElse("");
        assertTrue(type.startsWith("text/plain"), type);
        assertTrue(type.replace(" ", "").contains(";version=0.0.4"), type);
        Exposition e = parse(r.body());
        assertTrue(e.samples().size() > 10, r.body());
        for (Sample s : e.samples()) {
            assertNotNull(e.types().get(family(s.name(), e.types())), "every family is typed: " + s);
        }
        assertEquals("gauge", e.types().get("herald_connections"));
        assertEquals("histogram", e.types().get(LATENCY));
        // The parser itself refuses what is not exposition format.
        for (String bad : new String[] {"x 1 2 3\n", "x{a=\"1} 1\n", "x{a=1} 1\n", "x one\n", "9x 1\n",
                "x{a=\"\\q\"} 1\n", "x 1", "# TYPE x kind\nx 1\n", "x 1\n# TYPE x gauge\n",
                "x{a=\"1\",a=\"2\"} 1\n", "x 1\nx 2\n"}) {
            try {
                parse(bad);
            } catch (AssertionError expected) {
                continue;
            }
            fail("the parser accepted " + bad);
        }
        Exposition ok = parse("# HELP x A \\\\ b\\n c\n# TYPE x counter\nx_total{a=\"q\\\"\\n\\\\\",b=\"\"} +Inf 123\n"
                + "# TYPE y gauge\ny NaN\ny{l=\"1\",} -1.5e-3\n");
        assertEquals("q\"\n\\", ok.one("x_total", Map.of()).labels().get("a"));
        assertEquals(-0.0015, ok.value("y", Map.of("l", "1")));
    }

    // §9: connections by endpoint, subscriptions, events in/out/dropped, slow-consumer closes, broker state,
    // and a delivery-latency histogram
    @Test
    void metricsFollowAConnectionAndAnEvent() throws Exception {
        Exposition before = idle();
        double published = before.value("herald_events_published_total");
        double delivered = before.value("herald_events_delivered_total");
        double latencies = latencyCount(before);
        try (WsTestClient ws = RealtimeE2ETestSupport.realtime(server, "alice", "s1")) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_created\",\"data\":{\"id\":\"f1\"}}");
            assertEquals("{\"type\":\"file_created\",\"share_id\":\"s1\",\"data\":{\"id\":\"f1\"}}", ws.next());

            Exposition e = scrapeWhen(x -> x.value("herald_events_delivered_total") >= delivered + 1
                    && latencyCount(x) >= latencies + 1);
            assertEquals(1, e.value("herald_connections", Map.of("endpoint", "realtime")));
            assertEquals(0, e.value("herald_connections", Map.of("endpoint", "sync")));
            assertEquals(Set.of("sync", "realtime", "channels", "socketio"), new java.util.HashSet<>(
                    e.named("herald_connections").stream().map(s -> s.labels().get("endpoint")).toList()));
            // share:s1, user:alice, broadcast
            assertEquals(3, e.value("herald_subscriptions"));
            assertEquals(published + 1, e.value("herald_events_published_total"));
            assertEquals(delivered + 1, e.value("herald_events_delivered_total"));
            assertTrue(e.value("herald_events_published_total") >= 1);
            assertTrue(e.value("herald_events_delivered_total") >= 1);
            assertEquals(0, e.value("herald_events_dropped_total"));
            assertEquals(0, e.value("herald_slow_consumer_closes_total"));
            assertEquals("counter", e.types().get(family("herald_events_published_total", e.types())));
            assertEquals("counter", e.types().get(family("herald_events_delivered_total", e.types())));
            assertEquals("counter", e.types().get(family("herald_events_dropped_total", e.types())));
            assertEquals("counter", e.types().get(family("herald_slow_consumer_closes_total", e.types())));
            assertEquals(1, e.value("herald_broker_connected", Map.of("type", "local", "instance", "test")));

            // The histogram: le-ordered cumulative buckets, +Inf == _count, at least this delivery.
            List<Sample> buckets = new ArrayList<>(e.named(LATENCY + "_bucket"));
            assertTrue(buckets.size() >= 2, "buckets: " + buckets);
            buckets.sort((a, b) -> Double.compare(le(a), le(b)));
            assertEquals(Double.POSITIVE_INFINITY, le(buckets.get(buckets.size() - 1)), "a +Inf bucket");
            for (int i = 1; i < buckets.size(); i++) {
                assertTrue(buckets.get(i).value() >= buckets.get(i - 1).value(), "non-decreasing: " + buckets);
            }
            double inf = e.value(LATENCY + "_bucket", Map.of("le", "+Inf"));
            double count = latencyCount(e);
            assertTrue(inf >= 1, "+Inf bucket " + inf);
            assertTrue(count >= latencies + 1, "_count " + count);
            assertEquals(count, inf, "+Inf bucket equals _count");
            assertTrue(e.value(LATENCY + "_sum") >= 0);
        }
        Exposition after = scrapeWhen(x -> x.value("herald_connections", Map.of("endpoint", "realtime")) == 0);
        assertEquals(0, after.value("herald_connections", Map.of("endpoint", "realtime")));
        assertEquals(0, after.value("herald_subscriptions"));
    }

    /** Waits until no connection of another test is left, and returns that scrape. */
    static Exposition idle() throws InterruptedException {
        Exposition e = scrapeWhen(x -> x.value("herald_connections", Map.of("endpoint", "realtime")) == 0);
        assertEquals(0, e.value("herald_connections", Map.of("endpoint", "realtime")));
        return e;
    }

    // §9: each figure counts its own thing (two connections on one share: 1 event in, 2 frames out)
    @Test
    void figuresAreDistinct() throws Exception {
        Exposition before = idle();
        double published = before.value("herald_events_published_total");
        double delivered = before.value("herald_events_delivered_total");
        double latencies = latencyCount(before);
        try (WsTestClient a = RealtimeE2ETestSupport.realtime(server, "alice", "s1");
             WsTestClient b = RealtimeE2ETestSupport.realtime(server, "bob", "s1")) {
            server.publish("{\"topic\":\"share:s1\",\"event_type\":\"file_deleted\",\"data\":{\"file_id\":\"f1\"}}");
            a.next();
            b.next();
            Exposition e = scrapeWhen(x -> x.value("herald_events_delivered_total") >= delivered + 2
                    && latencyCount(x) >= latencies + 2);
            assertEquals(2, e.value("herald_connections", Map.of("endpoint", "realtime")));
            // share:s1 twice, user:alice, user:bob, broadcast twice
            assertEquals(6, e.value("herald_subscriptions"));
            assertEquals(published + 1, e.value("herald_events_published_total"));
            assertEquals(delivered + 2, e.value("herald_events_delivered_total"));
            assertEquals(latencies + 2, latencyCount(e));
            assertEquals(latencies + 2, e.value(LATENCY + "_bucket", Map.of("le", "+Inf")));
        }
        idle();
    }

    static double le(Sample bucket) {
        String le = bucket.labels().get("le");
        assertNotNull(le, "bucket without le: " + bucket);
        assertTrue(FLOAT.matcher(le).matches(), "bad le: " + bucket);
        return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
    }
}
