package io.herald.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes an {@link Envelope} back as its §3 JSON, for brokers that carry envelopes between instances (a
 * Redis channel holds exactly what a backend would {@code PUBLISH} itself). {@code data} is copied as the
 * publisher wrote it. Thread-safe.
 */
public final class EnvelopeWriter {
    private static final JsonFactory JSON = new JsonFactory();

    private EnvelopeWriter() {
    }

    public static byte[] toJson(Envelope e) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(128 + (e.data() != null ? e.data().length : 0))) {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("topic", e.topic().name());
                g.writeStringField("event_type", e.eventType());
                if (e.data() != null) {
                    g.writeFieldName("data");
                    g.writeRawValue(new RawJson(e.data()));
                }
                if (e.shareId() != null) {
                    g.writeStringField("share_id", e.shareId());
                }
                if (e.deviceId() != null) {
                    g.writeStringField("device_id", e.deviceId());
                }
                g.writeEndObject();
            }
            return out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A stand-in for an envelope too large to show whole (the admin topic tail): topic, event type and its size. */
    public static byte[] summary(Envelope e, int bytes) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(128)) {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("topic", e.topic().name());
                g.writeStringField("event_type", e.eventType());
                g.writeBooleanField("truncated", true);
                g.writeNumberField("bytes", bytes);
                g.writeEndObject();
            }
            return out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
