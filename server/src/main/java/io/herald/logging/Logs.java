package io.herald.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * Applies {@code HERALD_LOG_FORMAT} (§1) to the process's log lines. Logging is one per JVM: the last
 * {@link io.herald.Gateway} started decides the format and the instance its JSON lines name (in production
 * there is one; tests that start several share the lines).
 */
public final class Logs {
    /**
     * The SLF4J key-value pair that names the connection a line is about, its channel's short id:
     * {@code log.atWarn().addKeyValue(Logs.CONNECTION, id).log(...)}. JSON lines carry it as {@code connection};
     * text lines put it before the message.
     */
    public static final String CONNECTION = "connection";

    private static final Logger log = LoggerFactory.getLogger(Logs.class);

    private Logs() {
    }

    /**
     * Every {@link LogLineEncoder} on the root logger's appenders writes {@code format} from now on. Returns false,
     * and warns when JSON was asked for, if the logging in force has none (another SLF4J binding, or a logback
     * configuration of the operator's own): its lines stay as that configuration says.
     */
    public static boolean use(LogFormat format, String instance) {
        boolean applied = false;
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            Iterator<Appender<ILoggingEvent>> appenders =
                    context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
            while (appenders.hasNext()) {
                if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> out
                        && out.getEncoder() instanceof LogLineEncoder encoder) {
                    encoder.use(format, instance);
                    applied = true;
                }
            }
        }
        if (!applied && format == LogFormat.JSON) {
            log.warn("HERALD_LOG_FORMAT=json: the logging configuration in force has no {}; lines stay as it says",
                    LogLineEncoder.class.getName());
        }
        return applied;
    }
}
