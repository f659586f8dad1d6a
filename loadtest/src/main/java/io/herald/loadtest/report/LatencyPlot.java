package io.herald.loadtest.report;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML page (inline SVG, no scripts) with the run's latency by percentile, latency per second,
 * deliveries per second and the summary. The percentile axis is HdrHistogram's: {@code log10(1 / (1 - p))},
 * so 90%, 99%, 99.9% ... are evenly spaced.
 */
final class LatencyPlot {
    private static final int W = 860;
    private static final int H = 320;
    private static final int LEFT = 70;
    private static final int RIGHT = 45;
    private static final int TOP = 30;
    private static final int BOTTOM = 45;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private LatencyPlot() {
    }

    record Series(String name, List<double[]> points) {
    }

    /** Named x positions with labels. */
    record Ticks(double[] at, String[] labels) {
    }

    static String html(String title, Map<String, Object> summary, Histogram micros, List<ProgressReporter.Second> timeline) {
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(escape(title)).append("</title>\n<style>body{font-family:sans-serif;margin:24px;color:#222}"
                        + "h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse}"
                        + "td{padding:2px 12px 2px 0;font-family:monospace}svg{background:#fff;border:1px solid #ddd}"
                        + "</style></head><body>\n<h1>").append(escape(title)).append("</h1>\n");

        sb.append("<h2>Publish &rarr; receive latency by percentile</h2>\n");
        List<double[]> spectrum = new ArrayList<>();
        if (micros.getTotalCount() > 0) {
            for (HistogramIterationValue v : micros.percentiles(5)) {
                double p = v.getPercentileLevelIteratedTo();
                if (p >= 100.0) {
                    break;
                }
                spectrum.add(new double[] {Math.log10(100.0 / (100.0 - p)), v.getValueIteratedTo() / 1000.0});
            }
            double maxX = spectrum.isEmpty() ? 1 : spectrum.get(spectrum.size() - 1)[0];
            spectrum.add(new double[] {Math.max(maxX, 1), micros.getMaxValue() / 1000.0});
        }
        double spectrumMaxX = spectrum.isEmpty() ? 1 : Math.max(1, Math.ceil(spectrum.get(spectrum.size() - 1)[0]));
        String[] names = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        int nx = (int) Math.min(names.length - 1, spectrumMaxX);
        double[] at = new double[nx + 1];
        String[] labels = new String[nx + 1];
        for (int i = 0; i <= nx; i++) {
            at[i] = i;
            labels[i] = names[i];
        }
        chart(sb, List.of(new Series("latency", spectrum)), new Ticks(at, labels), nx, "percentile", "ms");

        sb.append("<h2>Latency per second</h2>\n");
        List<double[]> p50 = new ArrayList<>();
        List<double[]> p99 = new ArrayList<>();
        List<double[]> max = new ArrayList<>();
        List<double[]> rate = new ArrayList<>();
        List<double[]> subscribed = new ArrayList<>();
        for (ProgressReporter.Second s : timeline) {
            p50.add(new double[] {s.elapsedS(), s.p50()});
            p99.add(new double[] {s.elapsedS(), s.p99()});
            max.add(new double[] {s.elapsedS(), s.max()});
            rate.add(new double[] {s.elapsedS(), s.deliveries()});
            subscribed.add(new double[] {s.elapsedS(), s.subscribed()});
        }
        double lastS = timeline.isEmpty() ? 1 : Math.max(1, timeline.get(timeline.size() - 1).elapsedS());
        chart(sb, List.of(new Series("p50", p50), new Series("p99", p99), new Series("max", max)),
                niceTicks(lastS), lastS, "seconds", "ms");
        sb.append("<h2>Deliveries per second and subscribed clients</h2>\n");
        chart(sb, List.of(new Series("deliveries/s", rate)), niceTicks(lastS), lastS, "seconds", "deliveries/s");
        chart(sb, List.of(new Series("subscribed", subscribed)), niceTicks(lastS), lastS, "seconds", "clients");

        sb.append("<h2>Summary</h2>\n<table>\n");
        summary.forEach((k, v) -> sb.append("<tr><td>").append(escape(k)).append("</td><td>")
                .append(escape(String.valueOf(v))).append("</td></tr>\n"));
        sb.append("</table>\n</body></html>\n");
        return sb.toString();
    }

    private static void chart(StringBuilder sb, List<Series> series, Ticks xTicks, double maxX, String xLabel,
                              String yLabel) {
        double maxY = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                maxY = Math.max(maxY, p[1]);
            }
        }
        double yStep = niceStep(maxY > 0 ? maxY : 1);
        double top = Math.max(yStep, Math.ceil((maxY > 0 ? maxY : 1) / yStep) * yStep);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\">\n");
        // grid and y labels
        for (double y = 0; y <= top + yStep / 2; y += yStep) {
            double py = TOP + ph - y / top * ph;
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                    LEFT, py, LEFT + pw, py, LEFT - 6, py + 4, number(y)));
        }
        for (int i = 0; i < xTicks.at().length; i++) {
            double px = LEFT + xTicks.at()[i] / maxX * pw;
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                            + "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                    px, TOP, px, TOP + ph, px, TOP + ph + 16, escape(xTicks.labels()[i])));
        }
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n"
                        + "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n"
                        + "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>\n",
                LEFT, TOP, pw, ph, LEFT + pw / 2, H - 8, escape(xLabel), TOP + ph / 2, TOP + ph / 2, escape(yLabel)));
        int i = 0;
        for (Series s : series) {
            String color = COLORS[i % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (double[] p : s.points()) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + p[0] / maxX * pw, TOP + ph - p[1] / top * ph));
            }
            sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
                    .append(pts.toString().trim()).append("\"/>\n");
            sb.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n",
                    LEFT + 10 + i * 120, 14, color, LEFT + 26 + i * 120, 19, escape(s.name())));
            i++;
        }
        sb.append("</svg>\n");
    }

    private static Ticks niceTicks(double max) {
        double step = niceStep(max);
        int n = (int) Math.floor(max / step) + 1;
        double[] at = new double[n];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            at[i] = i * step;
            labels[i] = number(i * step);
        }
        return new Ticks(at, labels);
    }

    /** A 1, 2 or 5 times a power of ten that splits {@code max} into about five steps. */
    static double niceStep(double max) {
        double raw = max / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
