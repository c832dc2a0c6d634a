package dev.cicd.runner.internal.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per log line, for log pipelines: {@code timestamp} (ISO-8601, UTC, milliseconds),
 * {@code level}, {@code logger}, {@code thread}, {@code message}, then every MDC entry as a top-level
 * field ({@code watch}, {@code key}, {@code revision}, {@code requestId}), slf4j key-value pairs the same
 * way, and {@code exception} (the stack trace as text) when there is one. An MDC key that would clash
 * with one of the fixed fields is written as {@code mdc.<key>}.
 *
 * <p>Logback's own {@code JsonEncoder} nests the MDC under {@code "mdc"}, writes the timestamp as epoch
 * milliseconds, the unformatted message with its arguments, the logger context and the stack trace as
 * an array of frame objects: harder to query with the usual log pipelines, hence this encoder.
 */
public final class JsonLineEncoder extends LineEncoder {

    static final Set<String> FIXED = Set.of("timestamp", "level", "logger", "thread", "message", "exception");
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final LogTime TIME = new LogTime(ZoneOffset.UTC);

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("timestamp", TIME.format(event.getInstant()));
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("thread", event.getThreadName());
            g.writeStringField("message", event.getFormattedMessage());
            Map<String, String> mdc = event.getMDCPropertyMap();
            if (mdc != null && !mdc.isEmpty()) {
                for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
                    g.writeStringField(name(e.getKey()), e.getValue());
                }
            }
            if (event.getKeyValuePairs() != null) {
                for (KeyValuePair kv : event.getKeyValuePairs()) {
                    g.writeStringField(name(kv.key), String.valueOf(kv.value));
                }
            }
            IThrowableProxy t = event.getThrowableProxy();
            if (t != null) {
                g.writeStringField("exception", ThrowableProxyUtil.asString(t));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static String name(String key) {
        return FIXED.contains(key) ? "mdc." + key : key;
    }
}
