package dev.cicd.core.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.CicdException;
import dev.cicd.core.Plan;
import dev.cicd.core.Renderer;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny stand-in renderer for pipeline tests: {@code {{ data.a.b }}}, {@code {{ key }}}, {@code {{ revision }}}
 * and {@code {{ value }}}, optionally {@code | sh}; strict about undefined names and unclosed tags, so it fails
 * the way a real template engine does.
 */
public final class MiniRenderer implements Renderer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TAG = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.]+)\\s*(\\|\\s*sh\\s*)?}}");

    private final Map<String, String> templates;

    public MiniRenderer(Map<String, String> templates) {
        this.templates = Map.copyOf(templates);
    }

    @Override
    public Plan render(WatchSpec watch, TriggerEvent event, SortedMap<String, String> keys) {
        String source = templates.get(watch.template());
        if (source == null) {
            throw new CicdException(CicdException.Code.TEMPLATE, "template '" + watch.template() + "' not found");
        }
        boolean needsData = source.contains("data.");
        Object data = needsData ? JSON.convertValue(event.json(), Object.class) : null;
        StringBuilder out = new StringBuilder();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int open = line.lastIndexOf("{{");
            if (open >= 0 && line.indexOf("}}", open) < 0) {
                throw new CicdException(CicdException.Code.TEMPLATE,
                        "template '" + watch.template() + "' line " + (i + 1) + ": syntax error, unclosed '{{'");
            }
            Matcher m = TAG.matcher(line);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String v = String.valueOf(resolve(watch, event, data, m.group(1), i + 1));
                if (m.group(2) != null) {
                    v = "'" + v.replace("'", "'\\''") + "'";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v));
            }
            m.appendTail(sb);
            out.append(sb);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        return Plan.of(event, out.toString());
    }

    private static Object resolve(WatchSpec watch, TriggerEvent event, Object data, String path, int line) {
        String[] parts = path.split("\\.");
        Object cur = switch (parts[0]) {
            case "data" -> data;
            case "key" -> event.key();
            case "revision" -> event.modRevision();
            case "value" -> event.text();
            default -> throw undefined(watch, path, line);
        };
        for (int i = 1; i < parts.length; i++) {
            if (!(cur instanceof Map<?, ?> map) || !map.containsKey(parts[i])) {
                throw undefined(watch, path, line);
            }
            cur = map.get(parts[i]);
        }
        return cur;
    }

    private static CicdException undefined(WatchSpec watch, String path, int line) {
        return new CicdException(CicdException.Code.TEMPLATE,
                "template '" + watch.template() + "' line " + line + ": variable '" + path + "' is not defined");
    }
}
