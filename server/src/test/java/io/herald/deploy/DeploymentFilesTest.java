package io.herald.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.herald.config.ConfigKey;
import io.herald.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's files in {@code deploy/} (and the {@code Dockerfile}) against the Herald they deploy: the Grafana
 * dashboard and the alert rules query only series a real server's {@code /metrics} (§9) has; the Kubernetes manifests
 * parse, probe {@code /readyz} and {@code /healthz} on Herald's port, and give the drain its time; the container and
 * the systemd unit run the JVM options {@code scripts/run.sh} ships.
 */
class DeploymentFilesTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Pattern METRIC = Pattern.compile("\\bherald_[a-z_]+");

    @RegisterExtension
    static final TestServer server = TestServer.perClass();

    static Set<String> exported;

    @BeforeAll
    static void scrape() {
        String body = server.get("/metrics", null).body();
        exported = body.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(exported.contains("herald_connections"), "the scrape worked: " + exported);
    }

    static String read(String relative) throws Exception {
        Path p = ROOT.resolve(relative);
        assertTrue(Files.exists(p), "missing " + p);
        return Files.readString(p);
    }

    static Set<String> metricsIn(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    static void collectExprs(JsonNode n, List<String> into) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                if (e.getKey().equals("expr") && e.getValue().isTextual()) {
                    into.add(e.getValue().asText());
                } else {
                    collectExprs(e.getValue(), into);
                }
            });
        } else if (n.isArray()) {
            n.forEach(c -> collectExprs(c, into));
        }
    }

    @Test
    void theDashboardQueriesOnlySeriesHeraldExports() throws Exception {
        JsonNode dash = new ObjectMapper().readTree(read("deploy/grafana/herald-dashboard.json"));
        assertEquals("Herald", dash.get("title").asText());
        List<String> exprs = new ArrayList<>();
        collectExprs(dash.get("panels"), exprs);
        assertTrue(exprs.size() >= 10, "panels with queries: " + exprs.size());
        Set<String> used = new TreeSet<>();
        exprs.forEach(e -> used.addAll(metricsIn(e)));
        for (String name : used) {
            assertTrue(exported.contains(name), name + " is queried by the dashboard but not in /metrics: " + exported);
        }
        // what the operator looks for: connections, events in and out, drops, 4408s, broker, latency
        for (String needed : List.of("herald_connections", "herald_events_published_total", "herald_events_delivered_total",
                "herald_events_dropped_total", "herald_slow_consumer_closes_total", "herald_broker_connected",
                "herald_delivery_latency_seconds_bucket")) {
            assertTrue(used.contains(needed), "the dashboard shows " + needed);
        }
    }

    @Test
    void theAlertRulesParseAndWatchExportedSeries() throws Exception {
        JsonNode rules = new YAMLMapper().readTree(read("deploy/prometheus/herald-alerts.yml"));
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                alerts.add(rule.get("alert").asText());
                assertNotNull(rule.get("for"), rule.toString());
                Set<String> used = metricsIn(rule.get("expr").asText());
                assertFalse(used.isEmpty(), rule.toString());
                for (String name : used) {
                    assertTrue(exported.contains(name), name + " in alert " + rule.get("alert") + " is not in /metrics");
                }
            }
        }
        assertEquals(Set.of("HeraldBrokerDown", "HeraldSlowConsumerClosesRising", "HeraldDeliveryLatencyHigh"), alerts);
    }

    @Test
    void theKubernetesManifestsAgreeWithHeraldsDefaults() throws Exception {
        YAMLFactory yaml = new YAMLFactory();
        ObjectMapper mapper = new ObjectMapper(yaml);
        Map<String, JsonNode> byKind = new java.util.HashMap<>();
        try (var parser = yaml.createParser(read("deploy/kubernetes/herald.yaml"))) {
            var docs = mapper.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode d = docs.next();
                byKind.put(d.get("kind").asText(), d);
            }
        }
        assertEquals(Set.of("ConfigMap", "Deployment", "PodDisruptionBudget", "Service"), byKind.keySet());

        JsonNode config = byKind.get("ConfigMap").get("data");
        int port = Integer.parseInt(ConfigKey.PORT.defaultValue());
        assertEquals(String.valueOf(port), config.get("HERALD_PORT").asText(), "the port Herald listens on by default");
        Duration drain = Duration.ofSeconds(Long.parseLong(config.get("HERALD_DRAIN").asText().replace("s", "")));
        assertEquals(ConfigKey.DRAIN.defaultValue(), config.get("HERALD_DRAIN").asText(), "the default drain");
        // the ConfigMap is a configuration Herald starts with: known keys, good values (§1 stops on any other)
        java.util.Map<String, String> env = new java.util.HashMap<>();
        config.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        env.put(ConfigKey.JWT_SECRET.envName(), "a-secret-from-the-Secret-at-least-32-bytes");
        io.herald.config.HeraldConfig loaded = io.herald.config.ConfigLoader.load(env, new String[0]).config();
        assertEquals(io.herald.logging.LogFormat.JSON, loaded.logFormat(), "JSON lines for the cluster's log pipeline");

        JsonNode pod = byKind.get("Deployment").at("/spec/template/spec");
        JsonNode c = pod.get("containers").get(0);
        assertEquals(port, c.at("/ports/0/containerPort").asInt());
        String portName = c.at("/ports/0/name").asText();
        assertEquals("/readyz", c.at("/readinessProbe/httpGet/path").asText());
        assertEquals("/healthz", c.at("/livenessProbe/httpGet/path").asText());
        assertEquals(portName, c.at("/readinessProbe/httpGet/port").asText());
        assertEquals(portName, c.at("/livenessProbe/httpGet/port").asText());
        assertEquals("herald-secrets", c.at("/env/0/valueFrom/secretKeyRef/name").asText(), "the JWT secret from a Secret");
        assertEquals("herald-config", c.at("/envFrom/0/configMapRef/name").asText());
        // SIGTERM comes after preStop; the drain must end before the grace period does
        long preStop = Long.parseLong(c.at("/lifecycle/preStop/exec/command/1").asText());
        long grace = pod.get("terminationGracePeriodSeconds").asLong();
        assertTrue(grace >= preStop + drain.toSeconds() + 5, "grace " + grace + " s < preStop " + preStop + " s + drain "
                + drain.toSeconds() + " s + 5 s");
        assertNotNull(c.at("/resources/requests/memory").textValue(), "memory requested");

        JsonNode selector = byKind.get("Deployment").at("/spec/selector/matchLabels");
        assertEquals(selector, byKind.get("PodDisruptionBudget").at("/spec/selector/matchLabels"));
        assertEquals(selector, byKind.get("Service").at("/spec/selector"));
        assertEquals(portName, byKind.get("Service").at("/spec/ports/0/targetPort").asText());
        assertTrue(selector instanceof ObjectNode && selector.size() > 0);
    }

    @Test
    void theContainerAndTheUnitRunTheJvmOptionsOfRunSh() throws Exception {
        String run = read("scripts/run.sh");
        Matcher m = Pattern.compile("java (\\$\\{HERALD_JAVA_OPTS:-[^}]*\\})").matcher(run);
        assertTrue(m.find(), "scripts/run.sh runs java ${HERALD_JAVA_OPTS:-...}");
        String options = m.group(1);
        String dockerfile = read("Dockerfile");
        assertTrue(dockerfile.contains("exec java " + options + " -jar"), "the Dockerfile runs " + options);
        String defaults = options.substring(options.indexOf(":-") + 2, options.length() - 1);

        String unit = read("deploy/systemd/herald.service");
        assertTrue(unit.contains("Environment=HERALD_JAVA_OPTS=" + defaults), "the unit runs " + defaults);
        assertTrue(unit.contains("exec /usr/bin/java $HERALD_JAVA_OPTS -jar"));
        Matcher stop = Pattern.compile("(?m)^TimeoutStopSec=(\\d+)$").matcher(unit);
        assertTrue(stop.find());
        long drain = Long.parseLong(ConfigKey.DRAIN.defaultValue().replace("s", ""));
        assertTrue(Long.parseLong(stop.group(1)) >= drain + 5, "TimeoutStopSec leaves the drain its time");
        for (String hardening : List.of("NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes",
                "CapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX")) {
            assertTrue(unit.contains(hardening), "the unit sets " + hardening.trim());
        }
        assertFalse(unit.contains("\nMemoryDenyWriteExecute=yes"), "the JIT needs writable code");
    }
}
