package io.herald.loadtest.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's report directory: {@code summary.json}, {@code latency.hgrm} (HdrHistogram's percentile
 * distribution, in milliseconds) and {@code latency.html} (self-contained SVG plots).
 */
public final class Reports {
    public static final String SUMMARY = "summary.json";
    public static final String HGRM = "latency.hgrm";
    public static final String PLOT = "latency.html";

    private Reports() {
    }

    /** {@code p50}, {@code p90}, {@code p99}, {@code p999}, {@code max} (and {@code mean}) in milliseconds. */
    public static Map<String, Object> latencyMs(Histogram micros) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean empty = micros.getTotalCount() == 0;
        m.put("p50", empty ? 0.0 : ms(micros.getValueAtPercentile(50)));
        m.put("p90", empty ? 0.0 : ms(micros.getValueAtPercentile(90)));
        m.put("p99", empty ? 0.0 : ms(micros.getValueAtPercentile(99)));
        m.put("p999", empty ? 0.0 : ms(micros.getValueAtPercentile(99.9)));
        m.put("max", empty ? 0.0 : ms(micros.getMaxValue()));
        m.put("mean", empty ? 0.0 : round3(micros.getMean() / 1000.0));
        return m;
    }

    static double ms(long micros) {
        return round3(micros / 1000.0);
    }

    static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** Writes all three files into {@code dir}, creating it. */
    public static void write(Path dir, String title, Map<String, Object> summary, Histogram latencyMicros,
                             List<ProgressReporter.Second> timeline) throws IOException {
        Files.createDirectories(dir);
        writeSummary(dir.resolve(SUMMARY), summary);
        try (PrintStream out = new PrintStream(Files.newOutputStream(dir.resolve(HGRM)), false, StandardCharsets.UTF_8)) {
            latencyMicros.outputPercentileDistribution(out, 5, 1000.0);
        }
        Files.writeString(dir.resolve(PLOT), LatencyPlot.html(title, summary, latencyMicros, timeline));
    }

    public static void writeSummary(Path file, Map<String, Object> summary) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream os = Files.newOutputStream(file);
             JsonGenerator g = new JsonFactory().createGenerator(os)) {
            g.useDefaultPrettyPrinter();
            writeValue(g, summary);
            g.writeRaw('\n');
        }
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                writeValue(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof Integer || v instanceof Long) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(v.toString());
        }
    }

    /** The summary as compact text lines for the console. */
    public static String console(Map<String, Object> summary) {
        StringBuilder sb = new StringBuilder();
        summary.forEach((k, v) -> sb.append(String.format("  %-28s %s%n", k, v)));
        return sb.toString();
    }
}
