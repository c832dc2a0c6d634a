package dev.cicd.core;

import dev.cicd.core.internal.render.BoundedWriter;
import dev.cicd.core.internal.render.ConfdExtension;
import dev.cicd.core.internal.render.ContainsAsFunction;
import dev.cicd.core.internal.render.KeyView;
import dev.cicd.core.internal.render.RenderContext;
import dev.cicd.core.internal.render.RenderFailures;
import dev.cicd.core.internal.render.RenderScope;
import dev.cicd.core.internal.render.TargetExpressions;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.loader.DelegatingLoader;
import io.pebbletemplates.pebble.loader.FileLoader;
import io.pebbletemplates.pebble.loader.Loader;
import io.pebbletemplates.pebble.loader.MemoryLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A {@link Renderer} on Pebble, with template functions modelled on confd's so that confd templates
 * translate line by line ({@code {{getv "/k"}}} -> {@code {{ getv("/k") }}}).
 *
 * <p>Pebble runs with {@code newLineTrimming(false)}, {@code autoEscaping(false)} and
 * {@code strictVariables(true)}: the output keeps every newline of the template, nothing is escaped
 * unless the template asks ({@code | sh}), and an undefined variable is an error naming the template and
 * line. Compiled templates are cached for the life of the renderer (a changed file in the template
 * directory is not reloaded).
 *
 * <h2>Context</h2>
 * <ul>
 *   <li>{@code key} - the full key; {@code value} - the value as text; {@code revision} - its mod revision</li>
 *   <li>{@code data} - the value parsed as JSON into plain maps, lists, strings, numbers and booleans
 *       ({@code data.imageTag}), parsed only when the template reads it: a plain value ({@code cfgA}) renders
 *       with a template that reads it through {@code value} or {@code getv}; a template that reads
 *       {@code data} of a value that is not JSON fails with {@link CicdException.Code#BAD_PAYLOAD} naming the
 *       key, revision and parse error ({@code data is defined} is {@code false} for such a value)</li>
 *   <li>{@code event} - {@code watch, key, type, revision, createRevision, version}</li>
 *   <li>{@code watch} - {@code name, prefix, keys, template, action}</li>
 *   <li>the renderer's own variables ({@link Builder#variable}), e.g. {@code registry} from the runner's
 *       config</li>
 * </ul>
 *
 * <h2>Targets</h2>
 * A watch's {@link WatchSpec#target() target} expression ({@code {{ data.k8sNamespace }}/{{ data.appName }}})
 * is rendered with the same context and functions as its template (compiled once per distinct expression)
 * and, stripped, becomes the plan's target; without one the target is the event's key. An expression that
 * reads a field the value lacks, or renders an empty target, one longer than
 * {@value TargetExpressions#MAX_LENGTH} characters or one spanning lines, is
 * {@link CicdException.Code#BAD_PAYLOAD}.
 *
 * <h2>Functions (confd's)</h2>
 * {@code getv(key[, default])}, {@code exists(key)}, {@code gets(pattern)} (list of maps with {@code key}
 * and {@code value}), {@code getvs(pattern)}, {@code ls(dir)}, {@code lsdir(dir)} read the watch's keys,
 * relative to its prefix; {@code json(text)}, {@code jsonArray(text)}, {@code base}, {@code dir},
 * {@code split(s, sep)}, {@code join(list, sep)}, {@code toUpper}, {@code toLower},
 * {@code contains(s, sub)} (also element of a list, key of a map; it replaces Pebble's {@code contains}
 * operator), {@code replace(s, old, new[, n])}, {@code trimSuffix(s, suffix)}, {@code base64Encode},
 * {@code base64Decode}, {@code atoi}, {@code add}, {@code sub}, {@code mul}, {@code div}, {@code mod},
 * {@code seq(first, last)} (inclusive), {@code datetime()} (a {@code ZonedDateTime} from the clock; format
 * it with Pebble's {@code date} filter), {@code getenv(name[, default])} (names on the allow-list only),
 * {@code get(key)}, {@code map(k, v, ...)}, {@code reverse}, {@code sortByLength}, {@code sortKVByLength},
 * {@code parseBool}, {@code lookupIP(name)}, {@code lookupSRV(service, proto, name)} (names on
 * {@link Builder#allowLookup} only), and Go's {@code printf}, {@code print}, {@code println}. For
 * templates imported from confd: {@code goPrint} (a value as Go prints it), {@code goTruth},
 * {@code goEq}, {@code goCmp}, {@code goRange}, {@code goLen}, {@code goIndex}, {@code goJson},
 * {@code goJsonArray}, {@code goTimeFormat}, {@code goUnescape}.
 *
 * <h2>Filters</h2>
 * {@code sh}: the value as one literal POSIX shell word (single-quoted, {@code '} as {@code '\''}).
 * {@code oneline}: control characters written as {@code \n}, {@code \t}, ... so the value cannot leave the
 * line it is on (use it where a value goes into a {@code #} comment of a script).
 *
 * <h2>Templates</h2>
 * Looked up by name in this order: inline templates, the template directory (name = relative path), the
 * class path under the prefix (default {@value #BUILT_IN_PREFIX}, which holds the built-in
 * {@code confd-rollout.peb} and {@code confd-undo.peb}).
 *
 * <p>Immutable and thread-safe.
 */
public final class PebbleRenderer implements Renderer {

    /** The class-path folder of the built-in templates, the default {@link Builder#classpathPrefix}. */
    public static final String BUILT_IN_PREFIX = "cicd/templates/";

    /** Default {@link Builder#maxRenderedSize}: 1 Mi characters. */
    public static final int DEFAULT_MAX_RENDERED_SIZE = 1024 * 1024;
    /** Default {@link Builder#renderTimeout}: 5 seconds. */
    public static final Duration DEFAULT_RENDER_TIMEOUT = Duration.ofSeconds(5);

    private final PebbleEngine engine;
    private final Set<String> inlineNames;
    private final Path templateDir;
    private final String classpathPrefix;
    private final ClassLoader classLoader;
    private final ConcurrentMap<String, PebbleTemplate> compiled = new ConcurrentHashMap<>();
    private final Map<String, Object> variables;
    private final TargetExpressions targets;
    private final int maxRenderedSize;
    private final Duration renderTimeout;

    private PebbleRenderer(Builder b) {
        this.inlineNames = Collections.unmodifiableSet(new TreeSet<>(b.inline.keySet()));
        this.templateDir = b.templateDir;
        this.classpathPrefix = b.classpathPrefix;
        this.classLoader = PebbleRenderer.class.getClassLoader();
        this.variables = Map.copyOf(b.variables);
        this.maxRenderedSize = b.maxRenderedSize;
        this.renderTimeout = b.renderTimeout;

        List<Loader<?>> loaders = new ArrayList<>();
        MemoryLoader memory = new MemoryLoader();
        b.inline.forEach(memory::addTemplate);
        loaders.add(memory);
        if (templateDir != null) {
            loaders.add(new FileLoader(templateDir.toString()));
        }
        if (classpathPrefix != null) {
            ClasspathLoader cp = new ClasspathLoader(classLoader);
            cp.setPrefix(classpathPrefix);
            loaders.add(cp);
        }
        this.engine = new PebbleEngine.Builder()
                .loader(new DelegatingLoader(loaders))
                .extension(new ConfdExtension(b.allowEnv, b.allowLookup, b.clock, System::getenv))
                .registerExtensionCustomizer(ContainsAsFunction::new)
                .newLineTrimming(false)
                .autoEscaping(false)
                .strictVariables(true)
                .defaultLocale(Locale.ROOT)
                .cacheActive(true)
                .build();
        this.targets = new TargetExpressions(engine);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Plan render(WatchSpec watch, TriggerEvent event, SortedMap<String, String> keys) {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(event, "event");
        SortedMap<String, String> view = keys == null ? Collections.emptySortedMap() : keys;
        String name = watch.template();
        PebbleTemplate template = compiled(name, event);

        String text = event.text();
        RenderContext context = new RenderContext(variables, text);
        context.put("key", event.key());
        context.put("value", text);
        context.put("revision", event.modRevision());
        context.put("event", eventMap(event));
        context.put("watch", watchMap(watch));
        context.put(ConfdExtension.SCOPE_VARIABLE, new RenderScope(new KeyView(view, watch.prefix())));

        BoundedWriter out = new BoundedWriter(Math.max(256, text.length() * 4), maxRenderedSize, renderTimeout.toMillis());
        try {
            template.evaluate(out, context);
        } catch (BoundedWriter.Exceeded e) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD, "template '" + name + "': " + e.getMessage()
                    + where(event), e);
        } catch (IOException e) {
            throw new CicdException(CicdException.Code.INTERNAL,
                    "writing the output of template '" + name + "' failed" + where(event) + ": " + e, e);
        } catch (RuntimeException e) {
            throw RenderFailures.template(e, name, event, context);
        }
        String rendered = out.toString();
        return new Plan(event, rendered, Plan.sha256(rendered), targets.render(watch, event, context));
    }

    private PebbleTemplate compiled(String name, TriggerEvent event) {
        PebbleTemplate t = compiled.get(name);
        if (t != null) {
            return t;
        }
        checkName(name, event);
        if (!exists(name)) {
            throw new CicdException(CicdException.Code.TEMPLATE,
                    "template '" + name + "' not found; looked in " + lookedIn() + where(event));
        }
        try {
            t = engine.getTemplate(name);
        } catch (RuntimeException e) {
            throw RenderFailures.template(e, name, event, null);
        }
        PebbleTemplate raced = compiled.putIfAbsent(name, t);
        return raced != null ? raced : t;
    }

    private void checkName(String name, TriggerEvent event) {
        boolean bad = name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0;
        for (String part : name.split("/")) {
            bad |= part.equals("..");
        }
        if (bad) {
            throw new CicdException(CicdException.Code.TEMPLATE, "template name '" + name
                    + "' must be a relative path without '..' or backslashes" + where(event));
        }
    }

    private boolean exists(String name) {
        if (inlineNames.contains(name)) {
            return true;
        }
        if (templateDir != null && Files.isRegularFile(templateDir.resolve(name))) {
            return true;
        }
        return classpathPrefix != null && classLoader.getResource(classpathPrefix + name) != null;
    }

    private String lookedIn() {
        List<String> places = new ArrayList<>();
        places.add("inline templates " + inlineNames);
        if (templateDir != null) {
            places.add("directory " + templateDir.toAbsolutePath());
        }
        if (classpathPrefix != null) {
            places.add("class path under '" + classpathPrefix + "'");
        }
        return String.join(", ", places);
    }

    private static String where(TriggerEvent event) {
        return RenderFailures.where(event);
    }

    private static Map<String, Object> eventMap(TriggerEvent e) {
        return Map.of(
                "watch", e.watch(),
                "key", e.key(),
                "type", e.type().name(),
                "revision", e.modRevision(),
                "createRevision", e.createRevision(),
                "version", e.version());
    }

    private static Map<String, Object> watchMap(WatchSpec w) {
        return Map.of(
                "name", w.name(),
                "prefix", w.prefix(),
                "keys", w.keys(),
                "template", w.template(),
                "action", w.action());
    }

    private static final Set<String> RESERVED = Set.of("key", "value", "revision", "event", "watch", "data");

    /** Builds a {@link PebbleRenderer}; every setting is optional. */
    public static final class Builder {
        private Path templateDir;
        private String classpathPrefix = BUILT_IN_PREFIX;
        private final Map<String, String> inline = new LinkedHashMap<>();
        private Set<String> allowEnv = Set.of();
        private Set<String> allowLookup = Set.of();
        private Clock clock = Clock.systemDefaultZone();
        private final Map<String, Object> variables = new LinkedHashMap<>();
        private int maxRenderedSize = DEFAULT_MAX_RENDERED_SIZE;
        private Duration renderTimeout = DEFAULT_RENDER_TIMEOUT;

        private Builder() {
        }

        /**
         * The longest plan a render may produce (characters); a longer one is a {@code BAD_PAYLOAD} (the
         * event is rejected). Default 1 Mi characters.
         */
        public Builder maxRenderedSize(int chars) {
            if (chars < 1) {
                throw new IllegalArgumentException("maxRenderedSize must be >= 1, was " + chars);
            }
            this.maxRenderedSize = chars;
            return this;
        }

        /**
         * How long a render may take, checked whenever it writes output; a render past it is a
         * {@code BAD_PAYLOAD}. Default 5 s.
         */
        public Builder renderTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "renderTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("renderTimeout must be positive, was " + timeout);
            }
            this.renderTimeout = timeout;
            return this;
        }

        /**
         * A variable every template sees (for configuration such as {@code registry}). The names the
         * renderer sets per event ({@code key}, {@code value}, {@code revision}, {@code event},
         * {@code watch}, {@code data}) cannot be used.
         */
        public Builder variable(String name, Object value) {
            if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("template variable name must be an identifier, was '" + name + "'");
            }
            if (RESERVED.contains(name) || name.equals(ConfdExtension.SCOPE_VARIABLE)) {
                throw new IllegalArgumentException("template variable '" + name + "' is set by the renderer for each "
                        + "event; choose another name");
            }
            variables.put(name, Objects.requireNonNull(value, "value of template variable " + name));
            return this;
        }

        /** Templates from files below this directory; a template's name is its path relative to it. */
        public Builder templateDir(Path dir) {
            this.templateDir = dir;
            return this;
        }

        /**
         * Templates from the class path below this folder (default {@value PebbleRenderer#BUILT_IN_PREFIX});
         * {@code null} turns class-path lookup off.
         */
        public Builder classpathPrefix(String prefix) {
            if (prefix == null) {
                this.classpathPrefix = null;
                return this;
            }
            String p = prefix;
            while (p.startsWith("/")) {
                p = p.substring(1);
            }
            this.classpathPrefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
            return this;
        }

        /** An inline template (for tests and embedding); found before files and class-path resources. */
        public Builder template(String name, String source) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("template name must not be blank, was '" + name + "'");
            }
            inline.put(name, Objects.requireNonNull(source, "source of template " + name));
            return this;
        }

        /** The environment variables {@code getenv} may read (replaces the previous set; default none). */
        public Builder allowEnv(Set<String> names) {
            this.allowEnv = Set.copyOf(names);
            return this;
        }

        /**
         * The names {@code lookupIP} and {@code lookupSRV} may resolve: {@code example.com}, or
         * {@code *.example.com} for the names below it (replaces the previous set; default none: every
         * lookup fails naming the name).
         */
        public Builder allowLookup(Set<String> names) {
            this.allowLookup = Set.copyOf(names);
            return this;
        }

        /** The clock {@code datetime()} reads (default: the system clock in the default time zone). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @throws CicdException {@link CicdException.Code#CONFIG} when the template directory is not a directory
         */
        public PebbleRenderer build() {
            if (templateDir != null && !Files.isDirectory(templateDir)) {
                throw new CicdException(CicdException.Code.CONFIG,
                        "template directory " + templateDir.toAbsolutePath() + " is not a directory");
            }
            return new PebbleRenderer(this);
        }
    }

    @Override
    public String toString() {
        return "PebbleRenderer[" + lookedIn() + "]";
    }

}
