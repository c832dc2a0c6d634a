package dev.cicd.runner.internal.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code %cicdMdc} in the text format: the MDC as {@code  [watch=rollout key=/cicd/rollout/trigger
 * revision=12 requestId=...]} (those four first, any others after them by name), nothing when empty.
 */
public final class MdcConverter extends ClassicConverter {

    private static final List<String> FIRST = List.of("watch", "key", "revision", "requestId");

    @Override
    public String convert(ILoggingEvent event) {
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc == null || mdc.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (String k : FIRST) {
            String v = mdc.get(k);
            if (v != null) {
                parts.add(k + "=" + v);
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
            if (!FIRST.contains(e.getKey())) {
                parts.add(e.getKey() + "=" + e.getValue());
            }
        }
        return " [" + String.join(" ", parts) + "]";
    }
}
