package io.herald.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** The one jackson-core factory of the client (streaming only, no ObjectMapper), and command writing. */
final class Json {
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
            .build();

    private Json() {
    }

    @FunctionalInterface
    interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    /** A client command as text; commands are small and rare, so a String is fine. */
    static String write(Writer w) {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory does not fail
        }
        return out.toString();
    }

    /** §11: {@code "<name>": {"epoch": e, "offset": n}}. */
    static void position(JsonGenerator g, String name, Position p) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeStringField("epoch", p.epoch());
        g.writeNumberField("offset", p.offset());
        g.writeEndObject();
    }
}
