package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cicd.core.Durations;
import dev.cicd.k8s.OnFailure;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.EtcdConfig;
import dev.cicd.runner.KubernetesConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.RunnerSettings;
import dev.cicd.runner.WatchAction;
import dev.cicd.runner.WatchConfig;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Reads a {@link RunnerConfig} from YAML: strict keys, environment overrides, paths resolved against
 * the file's directory, template and TLS files checked. Every problem becomes a one-line
 * {@link ConfigException} naming the file and line, the key, or the environment variable.
 */
public final class ConfigLoader {

    /**
     * Built-in templates and the action they render for: {@code k8s-*} ship with cicd-k8s (kubernetes
     * steps), {@code confd-*} with cicd-core (the recipe's scripts, for a shell action). Class-path
     * resources {@code cicd/templates/NAME.peb}.
     */
    public static final Map<String, String> BUILTIN_TEMPLATES = Map.of("k8s-rollout", "kubernetes", "k8s-undo", "kubernetes",
            "confd-rollout", "shell", "confd-undo", "shell");

    private static final String ENV_PREFIX = "CICD_";
    private static final List<String> SECTIONS = List.of("ETCD", "KUBERNETES", "REGISTRY", "RUNNER", "WATCHES");

    private ConfigLoader() {
    }

    /** Loads, overrides, binds, resolves and checks. */
    public static RunnerConfig load(Path file, Map<String, String> env) {
        Path abs = file.toAbsolutePath().normalize();
        String name = abs.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(abs);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + name + " not found");
        } catch (IOException e) {
            throw new ConfigException("config file " + name + " cannot be read: " + e.getMessage(), e);
        }
        ObjectMapper mapper = mapper();
        Map<String, Integer> lines = new HashMap<>();
        JsonNode tree;
        try {
            collectLines(mapper, bytes, lines);
            tree = mapper.readTree(bytes);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(name + (line > 0 ? ":" + line : "") + ": not valid YAML: "
                    + firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot be read: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException(name + ": the file is empty; it needs at least a watches section");
        }
        if (!tree.isObject()) {
            throw new ConfigException(name + ":1: the top level must be a map of sections (etcd, kubernetes, registry, runner, watches)");
        }
        Context ctx = new Context(name, lines, new HashMap<>());
        normaliseActions((ObjectNode) tree, ctx);
        applyEnvironment((ObjectNode) tree, env, ctx);
        RunnerConfig bound;
        try {
            bound = mapper.treeToValue(tree, RunnerConfig.class);
        } catch (JsonProcessingException e) {
            throw translate(e, ctx);
        } catch (IllegalArgumentException e) {
            throw translate(e, ctx);
        }
        return resolve(bound, abs.getParent(), ctx);
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

    static ObjectMapper mapper() {
        SimpleModule module = new SimpleModule("cicd-config");
        module.addDeserializer(Duration.class, new DurationDeserializer());
        module.addDeserializer(OnFailure.class, new ChoiceDeserializer<>(OnFailure.class, OnFailure::parse));
        YAMLFactory factory = YAMLFactory.builder().build();
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return YAMLMapper.builder(factory)
                .addModule(module)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    // ---------------------------------------------------------------- locations

    private static void collectLines(ObjectMapper mapper, byte[] bytes, Map<String, Integer> lines) throws IOException {
        try (JsonParser p = mapper.getFactory().createParser(bytes)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                String ptr = p.getParsingContext().pathAsPointer().toString();
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    // the container's own pointer belongs to its parent position
                    ptr = p.getParsingContext().getParent() == null ? "" : p.getParsingContext().getParent().pathAsPointer().toString();
                }
                if (!ptr.isEmpty()) {
                    lines.putIfAbsent(ptr, p.currentTokenLocation().getLineNr());
                }
            }
        }
    }

    // ---------------------------------------------------------------- action shorthand

    private static void normaliseActions(ObjectNode root, Context ctx) {
        JsonNode watches = root.get("watches");
        if (watches == null || !watches.isArray()) {
            return;
        }
        for (int i = 0; i < watches.size(); i++) {
            JsonNode w = watches.get(i);
            if (!w.isObject() || !w.has("action")) {
                continue;
            }
            JsonNode a = w.get("action");
            if (a.isTextual()) {
                ((ObjectNode) w).set("action", actionNode(a.asText(), "/watches/" + i + "/action", ctx, null));
            }
        }
    }

    private static ObjectNode actionNode(String kind, String pointer, Context ctx, String env) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        switch (kind.trim().toLowerCase(Locale.ROOT)) {
            case "kubernetes" -> n.set("kubernetes", JsonNodeFactory.instance.objectNode());
            case "shell" -> n.set("shell", JsonNodeFactory.instance.objectNode());
            default -> throw new ConfigException(ctx.where(pointer, env) + displayPath(pointer)
                    + ": must be kubernetes or shell, was '" + kind + "'");
        }
        return n;
    }

    // ---------------------------------------------------------------- environment

    record EnvKey(String env, String pointer, String display, Kind kind) {
    }

    enum Kind {
        SCALAR, LIST, ACTION
    }

    /** Keys of the sections, with their full variable names ({@code CICD_RUNNER_LOG_DIR}). */
    private static List<EnvKey> sectionKeys() {
        List<EnvKey> keys = new ArrayList<>();
        walk(RunnerConfig.class, "", "", keys, Set.of("watches"));
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
        walk(WatchConfig.class, "", "", out, Set.of("name", "action"));
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

    private static void applyEnvironment(ObjectNode root, Map<String, String> env, Context ctx) {
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

    private static void applyWatch(ObjectNode root, String var, String value, List<EnvKey> keys, Context ctx) {
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
                            ((ObjectNode) watches.get(i)).set("action", actionNode(value, ptr, ctx, var));
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

    private static void set(ObjectNode root, String pointer, Kind kind, String value, Context ctx, String var) {
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
                throw new ConfigException(var + " cannot set " + displayPath(pointer) + ": "
                        + displayPath("/" + String.join("/", java.util.Arrays.copyOf(parts, i + 1)))
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
            int d = distance(var, k);
            if (d < bestScore) {
                bestScore = d;
                best = k;
            }
        }
        return best;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---------------------------------------------------------------- errors

    record Context(String file, Map<String, Integer> lines, Map<String, String> overrides) {

        /** {@code FILE:LINE: } or {@code CICD_X (overrides KEY of FILE): } for a pointer. */
        String where(String pointer, String env) {
            String var = env != null ? env : overrideOf(pointer);
            if (var != null) {
                return var + " (environment override of " + displayPath(pointer) + " in " + file + "): ";
            }
            Integer line = lineOf(pointer);
            return file + (line == null ? "" : ":" + line) + ": ";
        }

        String overrideOf(String pointer) {
            for (String p = pointer; ; p = parent(p)) {
                String v = overrides.get(p);
                if (v != null) {
                    return v;
                }
                if (p.isEmpty()) {
                    return null;
                }
            }
        }

        Integer lineOf(String pointer) {
            for (String p = pointer; ; p = parent(p)) {
                Integer l = lines.get(p);
                if (l != null) {
                    return l;
                }
                if (p.isEmpty()) {
                    return null;
                }
            }
        }
    }

    private static String parent(String pointer) {
        int i = pointer.lastIndexOf('/');
        return i <= 0 ? "" : pointer.substring(0, i);
    }

    private static ConfigException translate(JsonProcessingException e, Context ctx) {
        String pointer = e instanceof JsonMappingException m ? pointer(m.getPath()) : "";
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds() == null ? List.of()
                    : u.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            return new ConfigException(ctx.where(pointer, null) + "unknown key '" + displayPath(pointer) + "'"
                    + didYouMean(u.getPropertyName(), known) + " (known keys here: " + String.join(", ", known) + ")", e);
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable cause = v.getCause();
            while (cause != null && !(cause instanceof IllegalArgumentException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof KeyProblem k) {
                String ptr = pointer + toPointer(k.key());
                return new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": " + k.problem(), e);
            }
            String msg = cause == null ? v.getOriginalMessage() : cause.getMessage();
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": " + msg, e);
        }
        if (e instanceof InvalidFormatException f) {
            Object value = f.getValue();
            String why = f.getCause() instanceof IllegalArgumentException iae ? iae.getMessage()
                    : "'" + value + "' is not " + describe(f.getTargetType());
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": " + why, e);
        }
        if (e instanceof MismatchedInputException mi) {
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": expected "
                    + describe(mi.getTargetType()), e);
        }
        return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": "
                + firstLine(e.getOriginalMessage()), e);
    }

    private static ConfigException translate(IllegalArgumentException e, Context ctx) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return translate(j, ctx);
        }
        if (e instanceof KeyProblem k) {
            String ptr = toPointer(k.key());
            return new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": " + k.problem(), e);
        }
        return new ConfigException(ctx.file() + ": " + e.getMessage(), e);
    }

    private static String describe(Class<?> t) {
        if (t == null) {
            return "another type";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "a whole number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a text value";
        }
        if (List.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (t == Duration.class) {
            return "a duration (e.g. 10s, 5m)";
        }
        if (t.isRecord()) {
            return "a map of keys";
        }
        return "a " + t.getSimpleName();
    }

    private static String didYouMean(String name, List<String> known) {
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestScore) {
                bestScore = d;
                best = k;
            }
        }
        return best != null && bestScore <= Math.max(2, name.length() / 3) ? "; did you mean '" + best + "'?" : "";
    }

    private static String pointer(List<JsonMappingException.Reference> path) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null && !r.getFieldName().isEmpty()) {
                b.append('/').append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('/').append(r.getIndex());
            }
        }
        return b.toString();
    }

    /** {@code watches[1].keys} or {@code tls.cert} -> {@code /watches/1/keys}, {@code /tls/cert}. */
    static String toPointer(String dotted) {
        return "/" + dotted.replaceAll("\\[(\\d+)]", ".$1").replace('.', '/');
    }

    /** {@code /watches/1/keys} -> {@code watches[1].keys}. */
    public static String displayPath(String pointer) {
        if (pointer.isEmpty()) {
            return "(top level)";
        }
        StringBuilder b = new StringBuilder();
        for (String part : JsonPointer.compile(pointer).toString().substring(1).split("/")) {
            if (part.matches("\\d+")) {
                b.append('[').append(part).append(']');
            } else {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(part);
            }
        }
        return b.toString();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return (i < 0 ? s : s.substring(0, i)).trim();
    }

    // ---------------------------------------------------------------- paths and files

    private static RunnerConfig resolve(RunnerConfig c, Path dir, Context ctx) {
        EtcdConfig.Tls tls = c.etcd().tls();
        EtcdConfig.Tls resolvedTls = new EtcdConfig.Tls(
                existing(dir, tls.ca(), "/etcd/tls/ca", ctx),
                existing(dir, tls.cert(), "/etcd/tls/cert", ctx),
                existing(dir, tls.key(), "/etcd/tls/key", ctx));
        EtcdConfig etcd = new EtcdConfig(c.etcd().endpoints(), c.etcd().user(), c.etcd().password(), resolvedTls);
        KubernetesConfig k = c.kubernetes();
        KubernetesConfig kube = new KubernetesConfig(existing(dir, k.kubeconfig(), "/kubernetes/kubeconfig", ctx),
                k.context(), k.inCluster(), k.url(), k.token(), k.requestTimeout());
        RunnerSettings s = c.runner();
        RunnerSettings settings = new RunnerSettings(s.id(), s.group(), absolute(dir, s.logDir()).toString(),
                s.workDir().isEmpty() ? "" : absolute(dir, s.workDir()).toString(), s.logRetention(), s.statePrefix(), s.statusPrefix(), s.httpHost(), s.httpPort(), s.electionTtl());
        List<WatchConfig> watches = new ArrayList<>();
        for (int i = 0; i < c.watches().size(); i++) {
            WatchConfig w = c.watches().get(i);
            String ptr = "/watches/" + i + "/template";
            String template;
            if (w.builtinTemplate()) {
                String n = w.builtinTemplateName().orElseThrow();
                String kind = BUILTIN_TEMPLATES.get(n);
                if (kind == null) {
                    throw new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": no built-in template '" + n
                            + "' (built in: " + BUILTIN_TEMPLATES.keySet().stream().sorted().map(t -> "builtin:" + t).toList() + ")");
                }
                if (!kind.equals(w.action().kind())) {
                    throw new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": builtin:" + n
                            + (kind.equals("kubernetes") ? " renders kubernetes steps; it needs action: kubernetes"
                            : " renders a shell script; it needs action: shell"));
                }
                if (n.equals("k8s-rollout") && c.registry().isEmpty()) {
                    throw new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": builtin:" + n
                            + " builds the image from registry; set registry (or CICD_REGISTRY), e.g. registry.example.com/ns-demo");
                }
                template = w.template();
            } else {
                String base = Path.of(w.template()).getFileName().toString().replaceFirst("\\.peb$", "");
                if (BUILTIN_TEMPLATES.containsKey(base) && !Files.isRegularFile(absolute(dir, w.template()))) {
                    throw new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": file "
                            + absolute(dir, w.template()) + " not found; did you mean builtin:" + base + "?");
                }
                template = existing(dir, w.template(), ptr, ctx);
            }
            watches.add(new WatchConfig(w.name(), w.prefix(), w.keys(), template, w.action(), w.dedupe(), w.timeout(),
                    w.allowedNamespaces(), w.allowedDeployments(), w.allowedRegistries(), w.onFailure()));
        }
        return new RunnerConfig(etcd, kube, c.registry(), settings, watches);
    }

    private static Path absolute(Path dir, String p) {
        String s = p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
        Path path = Path.of(s);
        return (path.isAbsolute() ? path : dir.resolve(path)).normalize();
    }

    private static String existing(Path dir, String p, String pointer, Context ctx) {
        if (p.isEmpty()) {
            return p;
        }
        Path abs = absolute(dir, p);
        if (!Files.isRegularFile(abs)) {
            throw new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": file " + abs
                    + (Files.isDirectory(abs) ? " is a directory" : " not found"));
        }
        if (!Files.isReadable(abs)) {
            throw new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": file " + abs + " is not readable");
        }
        return abs.toString();
    }

    // ---------------------------------------------------------------- durations

    static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            if (text == null) {
                throw InvalidFormatException.from(p, "expected a duration", p.getText(), Duration.class);
            }
            try {
                return Durations.parse(text);
            } catch (IllegalArgumentException e) {
                InvalidFormatException ife = InvalidFormatException.from(p, e.getMessage(), text, Duration.class);
                ife.initCause(e);
                throw ife;
            }
        }
    }

    /**
     * A value out of a fixed set (an enum with a lenient {@code parse}): a bad one is reported as
     * {@code must be none or undo, was 'x'}, with a suggestion when it is a near miss.
     */
    static final class ChoiceDeserializer<E extends Enum<E>> extends JsonDeserializer<E> {
        private final Class<E> type;
        private final Function<String, E> parse;

        ChoiceDeserializer(Class<E> type, Function<String, E> parse) {
            this.type = type;
            this.parse = parse;
        }

        @Override
        public E deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return type.cast(ctxt.handleUnexpectedToken(type, p));
            }
            String text = p.getValueAsString();
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException e) {
                List<String> names = java.util.Arrays.stream(type.getEnumConstants())
                        .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
                String msg = "must be " + String.join(" or ", names) + ", was '" + text + "'"
                        + didYouMean(text == null ? "" : text.trim(), names);
                InvalidFormatException ife = InvalidFormatException.from(p, msg, text, type);
                ife.initCause(new IllegalArgumentException(msg, e));
                throw ife;
            }
        }
    }
}
