package io.herald.loadtest.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herald.Gateway;
import io.herald.config.ConfigKey;
import io.herald.config.HeraldConfig;
import io.herald.loadtest.LoadTest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs {@code fanout} of realtime clients against a Herald started in this JVM for the run, and reads its summary.
 */
public final class InProcessFanout {
    public static final String SECRET = "loadtest-smoke-secret-0123456789abcdefghij";

    /** A run's exit code and {@code summary.json}. */
    public record Result(int exit, JsonNode summary) {
    }

    private InProcessFanout() {
    }

    /** {@code herald} adjusts Herald's configuration; {@code args} are fanout's options beyond target and report. */
    public static Result run(Path report, Consumer<HeraldConfig.Builder> herald, String... args) throws Exception {
        HeraldConfig.Builder b = HeraldConfig.builder().set(ConfigKey.BIND, "127.0.0.1").port(0).jwtSecret(SECRET)
                .set(ConfigKey.DRAIN, "200ms");
        herald.accept(b);
        int exit;
        try (Gateway gateway = Gateway.start(b.build())) {
            String base = "127.0.0.1:" + gateway.port();
            List<String> all = new ArrayList<>(List.of("fanout", "--target", "ws://" + base, "--dialect", "realtime",
                    "--jwt-secret", SECRET, "--publish", "http://" + base + "/api/v1/publish",
                    "--report", report.toString()));
            all.addAll(List.of(args));
            exit = LoadTest.run(all.toArray(new String[0]));
        }
        return new Result(exit, new ObjectMapper().readTree(report.resolve("summary.json").toFile()));
    }
}
