package io.herald.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.herald.auth.BearerTokens;
import org.slf4j.event.KeyValuePair;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The logback encoder of Herald's console appender (logback.xml): one event, one line, in the format that
 * {@code HERALD_LOG_FORMAT} chose (§1; set through {@link Logs#use}).
 * <ul>
 * <li>text: {@code 2026-12-02T04:06:17.123Z WARN HttpRouter - 5f3a9c1e /x failed: ...}, the connection id
 * (the {@link Logs#CONNECTION} key-value pair) before the message, a stack trace after it;</li>
 * <li>json: {@code {"time":"...","level":"WARN","logger":"io.herald.transport.HttpRouter","message":"/x failed: ...",
 * "instance":"herald-1","connection":"5f3a9c1e","exception":"java.lang.IllegalStateException"}}, written with
 * jackson-core's streaming generator; an exception is its class name only, since a message may quote a
 * request target.</li>
 * </ul>
 * Both formats pass the message (and the text stack trace) through {@link BearerTokens#redactInText}: call sites
 * already redact the targets they log, and this makes sure a {@code token=} or {@code sid=} value never reaches a
 * line even when one forgot (§2, §7).
 */
public final class LogLineEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();

    /** Format and instance change together, and a line reads them once. */
    private record Settings(LogFormat format, String instance) {
    }

    private volatile Settings settings = new Settings(LogFormat.TEXT, null);

    /** Lines from now on are written in {@code format}; JSON lines name {@code instance}. */
    public void use(LogFormat format, String instance) {
        settings = new Settings(format, instance);
    }

    public LogFormat format() {
        return settings.format();
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        Settings s = settings;
        return s.format() == LogFormat.JSON ? json(event, s.instance()) : text(event);
    }

    private static byte[] text(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        TIME.formatTo(event.getInstant(), line);
        line.append(' ').append(event.getLevel()).append(' ').append(shortName(event.getLoggerName())).append(" - ");
        String connection = connection(event);
        if (connection != null) {
            line.append(connection).append(' ');
        }
        line.append(BearerTokens.redactInText(event.getFormattedMessage())).append('\n');
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(BearerTokens.redactInText(ThrowableProxyUtil.asString(thrown)));
        }
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(ILoggingEvent event, String instance) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("time", TIME.format(event.getInstant()));
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("message", BearerTokens.redactInText(event.getFormattedMessage()));
            g.writeStringField("instance", instance);
            String connection = connection(event);
            if (connection != null) {
                g.writeStringField("connection", connection);
            }
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                g.writeStringField("exception", thrown.getClassName());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** The {@link Logs#CONNECTION} key-value pair's value, or null. */
    private static String connection(ILoggingEvent event) {
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair p : pairs) {
                if (Logs.CONNECTION.equals(p.key)) {
                    return String.valueOf(p.value);
                }
            }
        }
        return null;
    }

    private static String shortName(String logger) {
        return logger.substring(logger.lastIndexOf('.') + 1);
    }
}
