package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchAction;
import dev.cicd.runner.WatchConfig;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code CICD_*} environment variables: one per key, derived from the config records' components
 * ({@code runner.logRetention.maxAge} -> {@code CICD_RUNNER_LOG_RETENTION_MAX_AGE}, a watch's keys as
 * {@code CICD_WATCHES_<NAME>_<KEY>}), applied to the YAML tree before it is bound.
 */
public final class EnvironmentOverrides {

    private static final String ENV_PREFIX = "CICD_";
    private static final List<String> SECTIONS = List.of("ETCD", "KUBERNETES", "REGISTRY", "RUNNER", "TEMPLATES", "WATCHES");

    private EnvironmentOverrides() {
    }

    /** Every environment variable that overrides a key, with the key path, for the given watch names. */
    public static List<Map.Entry<String, String>> environmentVariables(Collection<String> watchNames) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (EnvKey k : sectionKeys()) {
            out.add(Map.entry(k.env(), k.display()));
        }
        for (String w : watchNames) {
            for (EnvKey k : watchKeys()) {
                out.add(Map.entry("CICD_WATCHES_" + RunnerConfig.envName(w) + "_" + k.env(),
                        "watches[" + w + "]." + k.display()));
            }
        }
        return out;
    }

    /** The generic form of every key's override, for documentation: {@code CICD_WATCHES_<NAME>_PREFIX}. */
    public static List<Map.Entry<String, String>> environmentVariableTemplate() {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (EnvKey k : sectionKeys()) {
            out.add(Map.entry(k.env(), k.display()));
        }
        for (EnvKey k : watchKeys()) {
            out.add(Map.entry("CICD_WATCHES_<NAME>_" + k.env(), "watches[].".concat(k.display())));
        }
        return out;
    }

    record EnvKey(String env, String pointer, String display, Kind kind) {
    }

    enum Kind {
        SCALAR, LIST, ACTION
    }

    /** Keys of the sections, with their full variable names ({@code CICD_RUNNER_LOG_DIR}). */
    private static List<EnvKey> sectionKeys() {
        List<EnvKey> keys = new ArrayList<>();
        walk(RunnerConfig.class, "", "", keys, Set.of("watches", "notifications")); // notify: a list of maps, file only
        List<EnvKey> out = new ArrayList<>();
        for (EnvKey k : keys) {
            out.add(new EnvKey(ENV_PREFIX + k.env(), k.pointer(), k.display(), k.kind()));
        }
        return out;
    }

    /** Keys of one watch, with the variable name after {@code CICD_WATCHES_<NAME>_} ({@code ALLOWED_NAMESPACES}). */
    private static List<EnvKey> watchKeys() {
        List<EnvKey> out = new ArrayList<>();
        out.add(new EnvKey("ACTION", "/action", "action", Kind.ACTION));
        walk(WatchConfig.class, "", "", out, Set.of("name", "action", "notifications"));
        walk(WatchAction.Shell.class, "/action/shell", "action.shell.", out, Set.of());
        return out;
    }

    /** Adds a key per record component (recursing into records), skipping the names in {@code skip}. */
    private static void walk(Class<?> type, String pointer, String display, List<EnvKey> out, Set<String> skip) {
        for (RecordComponent c : type.getRecordComponents()) {
            if (skip.contains(c.getName())) {
                continue;
            }
            String ptr = pointer + "/" + c.getName();
            String disp = display + c.getName();
            Class<?> t = c.getType();
            if (t.isRecord()) {
                walk(t, ptr, disp + ".", out, Set.of());
            } else {
                out.add(new EnvKey(envSegment(ptr), ptr, disp, List.class.isAssignableFrom(t) ? Kind.LIST : Kind.SCALAR));
            }
        }
    }

    /** {@code /runner/logRetention/maxAge} -> {@code RUNNER_LOG_RETENTION_MAX_AGE}. */
    static String envSegment(String pointer) {
        StringBuilder b = new StringBuilder();
        for (String part : pointer.substring(1).split("/")) {
            if (b.length() > 0) {
                b.append('_');
            }
            b.append(part.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
        }
        return b.toString();
    }

    /** Sets every key named by a {@code CICD_*} variable of {@code env} in the tree; other variables are ignored. */
    static void apply(ObjectNode root, Map<String, String> env, LoadContext ctx) {
        Map<String, String> sorted = new TreeMap<>(env);
        Map<String, EnvKey> section = new LinkedHashMap<>();
        for (EnvKey k : sectionKeys()) {
            section.put(k.env(), k);
        }
        List<EnvKey> watchKeys = watchKeys();
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            String var = e.getKey();
            if (!var.startsWith(ENV_PREFIX)) {
                continue;
            }
            String rest = var.substring(ENV_PREFIX.length());
            boolean ours = SECTIONS.stream().anyMatch(s -> rest.equals(s) || rest.startsWith(s + "_"));
            if (!ours) {
                continue;
            }
            EnvKey k = section.get(var);
            if (k != null) {
                set(root, k.pointer(), k.kind(), e.getValue(), ctx, var);
                ctx.overrides().put(k.pointer(), var);
                continue;
            }
            if (rest.startsWith("WATCHES_")) {
                applyWatch(root, var, e.getValue(), watchKeys, ctx);
                continue;
            }
            throw new ConfigException(var + " is not a config override (see the README's key reference; e.g. "
                    + suggestion(var, section.keySet()) + ")");
        }
    }

    private static void applyWatch(ObjectNode root, String var, String value, List<EnvKey> keys, LoadContext ctx) {
        JsonNode watches = root.get("watches");
        List<String> names = new ArrayList<>();
        if (watches != null && watches.isArray()) {
            for (int i = 0; i < watches.size(); i++) {
                JsonNode n = watches.get(i).get("name");
                String wname = n == null ? "" : n.asText();
                names.add(wname);
                String head = "CICD_WATCHES_" + RunnerConfig.envName(wname) + "_";
                if (wname.isEmpty() || !var.startsWith(head)) {
                    continue;
                }
                String rest = var.substring(head.length());
                for (EnvKey k : keys) {
                    if (k.env().equals(rest)) {
                        String ptr = "/watches/" + i + k.pointer();
                        if (k.kind() == Kind.ACTION) {
                            ((ObjectNode) watches.get(i)).set("action", ActionShorthand.actionNode(value, ptr, ctx, var));
                        } else {
                            set(root, ptr, k.kind(), value, ctx, var);
                        }
                        ctx.overrides().put(ptr, var);
                        return;
                    }
                }
            }
        }
        throw new ConfigException(var + " names no watch key: expected CICD_WATCHES_<NAME>_<KEY> with NAME one of "
                + names.stream().map(RunnerConfig::envName).toList() + " and KEY one of "
                + keys.stream().map(EnvKey::env).toList());
    }

    private static void set(ObjectNode root, String pointer, Kind kind, String value, LoadContext ctx, String var) {
        String[] parts = pointer.substring(1).split("/");
        JsonNode cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child;
            if (cur.isArray()) {
                child = cur.get(Integer.parseInt(parts[i]));
            } else {
                child = cur.get(parts[i]);
                if (child == null || child.isNull()) {
                    child = ((ObjectNode) cur).putObject(parts[i]);
                }
            }
            if (child == null || !(child.isObject() || child.isArray() && parts[i + 1].matches("\\d+"))) {
                throw new ConfigException(var + " cannot set " + ConfigErrors.displayPath(pointer) + ": "
                        + ConfigErrors.displayPath("/" + String.join("/", java.util.Arrays.copyOf(parts, i + 1)))
                        + " in " + ctx.file() + " is not a map");
            }
            cur = child;
        }
        ObjectNode node = (ObjectNode) cur;
        String leaf = parts[parts.length - 1];
        if (kind == Kind.LIST) {
            ArrayNode arr = node.putArray(leaf);
            for (String s : value.split(",")) {
                if (!s.isBlank()) {
                    arr.add(s.trim());
                }
            }
        } else {
            node.set(leaf, TextNode.valueOf(value));
        }
    }

    private static String suggestion(String var, Collection<String> known) {
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String k : known) {
            int d = ConfigErrors.distance(var, k);
            if (d < bestScore) {
                bestScore = d;
                best = k;
            }
        }
        return best;
    }
}
