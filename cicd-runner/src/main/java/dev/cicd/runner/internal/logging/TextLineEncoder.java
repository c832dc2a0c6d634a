package dev.cicd.runner.internal.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The text log line: {@code 2026-11-27T14:02:17.843Z INFO  Recorder [watch=deploy key=/cicd/x/trigger
 * revision=3 requestId=r1] - message}, the MDC in brackets ({@code watch}, {@code key}, {@code revision},
 * {@code requestId} first, any other keys after them by name; nothing when empty), the logger's simple
 * name, and the stack trace on the following lines. Written by hand rather than with a {@code PatternLayout}:
 * the pattern machinery loads a hundred classes at start-up for one fixed format.
 */
public final class TextLineEncoder extends LineEncoder {

    private static final List<String> FIRST = List.of("watch", "key", "revision", "requestId");
    private static final LogTime TIME = LogTime.systemDefault();

    @Override
    public byte[] encode(ILoggingEvent event) {
        StringBuilder b = new StringBuilder(160);
        TIME.append(b, event.getInstant());
        String level = event.getLevel().toString();
        b.append(' ').append(level);
        for (int i = level.length(); i < 5; i++) {
            b.append(' ');
        }
        String logger = event.getLoggerName();
        b.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length());
        mdc(b, event.getMDCPropertyMap());
        b.append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy t = event.getThrowableProxy();
        if (t != null) {
            b.append(ThrowableProxyUtil.asString(t));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void mdc(StringBuilder b, Map<String, String> mdc) {
        if (mdc == null || mdc.isEmpty()) {
            return;
        }
        b.append(" [");
        int start = b.length();
        for (String k : FIRST) {
            String v = mdc.get(k);
            if (v != null) {
                (b.length() > start ? b.append(' ') : b).append(k).append('=').append(v);
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
            if (!FIRST.contains(e.getKey())) {
                (b.length() > start ? b.append(' ') : b).append(e.getKey()).append('=').append(e.getValue());
            }
        }
        b.append(']');
    }
}
