package dev.cicd.runner.internal.confd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Test support: a Go template translated for a file ({@link GoTemplates.Output#FILE}) and rendered. */
final class ConfdRendering {

    private ConfdRendering() {
    }

    /** The Pebble text of {@code go}, which must translate completely. */
    static String pebble(String go) {
        GoTemplates.Result r = GoTemplates.translate("t.tmpl", go, GoTemplates.Output.FILE);
        assertEquals(List.of(), r.untranslated(), r.pebble());
        return r.pebble();
    }

    /** {@code go} translated and rendered with the watch's keys {@code keys}. */
    static String render(String go, Map<String, String> keys) {
        return render(go, keys, Set.of());
    }

    static String render(String go, Map<String, String> keys, Set<String> allowLookup) {
        String peb = pebble(go);
        PebbleRenderer renderer = PebbleRenderer.builder().template("t.peb", peb).allowLookup(allowLookup).build();
        WatchSpec watch = WatchSpec.builder("w").prefix("/app").key("/trigger").template("t.peb").action("shell").build();
        try {
            return renderer.render(watch, TriggerEvent.put("w", "/app/trigger", "x", 1), new TreeMap<>(keys)).text();
        } catch (RuntimeException e) {
            throw new AssertionError("rendering " + peb + ": " + e.getMessage(), e);
        }
    }
}
