package dev.cicd.runner.internal.confd;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.cicd.runner.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Turns a confd directory ({@code confd.toml}, {@code conf.d/*.toml} template resources and
 * {@code templates/}) into a runner config ({@code cicd.yaml}) and Pebble templates ({@code templates/*.peb}).
 *
 * <p>{@code confd.toml} ({@link ConfdSettings}) gives the endpoints, the global prefix and the confdir.
 * Each template resource becomes a watch ({@link ConfdResource}) under confd's prefix (the global one
 * joined with the resource's; the root when neither is set), its template translated by {@link GoTemplates}:
 * a {@code file} action that writes the render to {@code dest} with {@code mode}, {@code owner}/{@code uid},
 * {@code gid}, {@code check_cmd} and {@code reload_cmd}, as confd does; or, in the recipe's style where
 * {@code reload_cmd} runs {@code dest} as a script (or there is no {@code dest}), a {@code shell} action that
 * runs the rendered plan with bash, its values quoted for the shell. The names templates read with
 * {@code getenv} go to {@code templates.allowEnv}.
 *
 * <p>Resources are read as TOML (as confd reads them): a syntax error names the file, line and column.
 * Keys outside {@code [template]} and other tables are listed as ignored.
 *
 * <p>A {@code src} must name a file inside {@code templates/} (after normalising, and following symbolic
 * links): one that leaves it is refused.
 */
public final class ConfdImporter {

    /**
     * What an import wrote and what it could not carry over; {@code incomplete} names the written templates
     * with an action that was not translated (they do not render as confd rendered them).
     */
    public record Report(Path config, List<Path> templates, List<String> watches, List<String> notTranslated,
            List<Path> incomplete) {
        public Report {
            templates = List.copyOf(templates);
            watches = List.copyOf(watches);
            notTranslated = List.copyOf(notTranslated);
            incomplete = List.copyOf(incomplete);
        }
    }

    private static final Set<String> KNOWN = Set.of("src", "dest", "keys", "prefix", "owner", "mode", "uid", "gid",
            "reload_cmd", "check_cmd");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TomlMapper TOML = new TomlMapper();

    private ConfdImporter() {
    }

    /**
     * Imports {@code confdDir} into {@code outDir} (created when missing; existing files of the same names
     * are replaced).
     *
     * @param endpoints etcd endpoints for the config, e.g. confd's {@code -node} values
     * @throws ConfigException when the directory has no template resources or a resource is malformed
     */
    public static Report importDir(Path confdDir, Path outDir, List<String> endpoints) {
        return importDir(confdDir, outDir, endpoints, null);
    }

    /**
     * Imports {@code confdDir} into {@code outDir}, reading confd's {@code confd.toml} there when present.
     *
     * @param endpoints etcd endpoints; empty: confd.toml's {@code nodes}, else {@code http://127.0.0.1:2379}
     * @param prefix    the global prefix (confd's {@code -prefix}); null: confd.toml's {@code prefix}
     */
    public static Report importDir(Path confdDir, Path outDir, List<String> endpoints, String prefix) {
        ConfdSettings settings;
        try {
            settings = ConfdSettings.read(confdDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (settings.confdir() != null && !Files.isDirectory(confdDir.resolve("conf.d"))) {
            confdDir = settings.confdir();
        }
        List<String> eps = endpoints != null && !endpoints.isEmpty() ? endpoints
                : !settings.endpoints().isEmpty() ? settings.endpoints() : List.of("http://127.0.0.1:2379");
        String global = prefix != null ? prefix : settings.prefix();
        Path confD = confdDir.resolve("conf.d");
        Path templatesIn = confdDir.resolve("templates");
        if (!Files.isDirectory(confD)) {
            throw new ConfigException(confdDir.toAbsolutePath() + " has no conf.d directory; point import-confd at confd's confdir");
        }
        List<Path> tomls;
        try (Stream<Path> s = Files.list(confD)) {
            tomls = s.filter(p -> p.getFileName().toString().endsWith(".toml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (tomls.isEmpty()) {
            throw new ConfigException(confD.toAbsolutePath() + " has no *.toml template resources");
        }
        List<String> notes = new ArrayList<>(settings.notes());
        List<String> names = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        List<Path> incomplete = new ArrayList<>();
        Set<String> env = new TreeSet<>();
        List<String> scripts = new ArrayList<>();
        StringBuilder watches = new StringBuilder();
        try {
            Path templatesOut = outDir.resolve("templates");
            Files.createDirectories(templatesOut);
            for (Path toml : tomls) {
                String file = confD.relativize(toml).toString();
                String rel = "conf.d/" + file;
                Map<String, Object> resource = readToml(toml);
                if (!(resource.get("template") instanceof Map<?, ?> table)) {
                    throw new ConfigException(toml.toAbsolutePath() + ": no [template] table");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> t = (Map<String, Object>) table;
                resource.forEach((k, v) -> {
                    if (!k.equals("template")) {
                        notes.add(rel + ": " + (v instanceof Map ? "table [" + k + "]" : "key '" + k + "' outside [template]")
                                + " ignored");
                    }
                });
                String name = watchName(file.substring(0, file.length() - ".toml".length()), names);
                names.add(name);
                String src = text(t, "src", rel);
                String own = t.containsKey("prefix") ? text(t, "prefix", rel) : "";
                String watchPrefix = joinPrefix(global, own);
                List<String> keys = keys(t, rel);
                for (String k : t.keySet()) {
                    if (!KNOWN.contains(k)) {
                        notes.add(rel + ": key '" + k + "' is not a confd template-resource key; ignored");
                    }
                }
                String srcRel = template(confdDir, templatesIn, rel, src);
                Path tmpl = templatesIn.resolve(srcRel);
                String goText = Files.readString(tmpl);
                boolean script = ConfdResource.runsDestAsScript(t);
                GoTemplates.Result r = script ? GoTemplates.translate("templates/" + srcRel, goText)
                        : GoTemplates.translate("templates/" + srcRel, goText, GoTemplates.Output.FILE);
                notes.addAll(r.untranslated());
                env.addAll(ConfdResource.getenvNames(goText));
                String outName = srcRel.replaceAll("\\.(tmpl|tpl|template)$", "") + ".peb";
                Path outFile = templatesOut.resolve(outName);
                Files.createDirectories(outFile.getParent());
                Files.writeString(outFile, r.pebble());
                written.add(outFile);
                if (!r.untranslated().isEmpty()) {
                    incomplete.add(outFile);
                }
                if (script) {
                    scripts.add(name);
                    if (watchPrefix.equals("/")) {
                        notes.add(rel + ": no prefix (confd's default '/'); the watch got prefix /" + name
                                + " and its keys must be adjusted: give every watch its own prefix");
                        watchPrefix = "/" + name;
                    }
                    ConfdResource.shellWatch(watches, name, rel, t, watchPrefix, keys, outName, notes);
                } else {
                    ConfdResource.fileWatch(watches, name, rel, t, watchPrefix, keys, outName);
                }
            }
            if (names.stream().distinct().count() != names.size()) {
                throw new IllegalStateException("duplicate watch names " + names);
            }
            StringBuilder yaml = new StringBuilder();
            yaml.append("# Imported from ").append(confdDir.toAbsolutePath().normalize()).append(" by `cicd import-confd`.\n");
            yaml.append("# A resource whose reload_cmd runs its dest as a script became a shell action (the rendered plan\n");
            yaml.append("# runs with bash); every other resource a file action (written to dest, checked, reloaded).\n");
            yaml.append("etcd:\n  endpoints: ").append(list(eps)).append('\n');
            yaml.append("runner:\n  logDir: logs\n");
            if (!env.isEmpty()) {
                yaml.append("templates:\n  allowEnv: ").append(list(List.copyOf(env))).append("   # confd's getenv reads these\n");
            }
            yaml.append("watches:\n").append(watches);
            Path config = outDir.resolve("cicd.yaml");
            Files.writeString(config, yaml.toString());
            if (scripts.size() == names.size()) {
                notes.add(0, "reload_cmd and dest of every resource were replaced by running the rendered plan with bash");
            } else if (!scripts.isEmpty()) {
                notes.add(0, "reload_cmd and dest of " + String.join(", ", scripts) + " (reload_cmd runs dest, or no dest) "
                        + "were replaced by running the rendered plan with bash");
            }
            return new Report(config, written, names, notes, incomplete);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the import into " + outDir + " failed: " + e.getMessage(), e);
        }
    }

    /** confd's {@code path.Join("/", prefix, resourcePrefix)}: {@code /} for the root. */
    static String joinPrefix(String global, String own) {
        String joined = ("/" + (global == null ? "" : global) + "/" + own).replaceAll("/+", "/");
        while (joined.length() > 1 && joined.endsWith("/")) {
            joined = joined.substring(0, joined.length() - 1);
        }
        return joined;
    }

    /**
     * A template resource as TOML tables and values (strings, numbers, booleans, lists, maps).
     *
     * @throws ConfigException naming the file, line and column of a syntax error
     */
    static Map<String, Object> readToml(Path toml) throws IOException {
        String text = Files.readString(toml);
        try {
            return TOML.readValue(text, new TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new ConfigException(toml.toAbsolutePath() + where + ": not valid TOML: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The resource's {@code src} as a normalised path relative to {@code templates/}, which it must not
     * leave: not with {@code ..}, not as an absolute path elsewhere, not through a symbolic link.
     *
     * @throws ConfigException naming the resource file and the key otherwise, or when the file is missing
     */
    static String template(Path confdDir, Path templatesIn, String rel, String src) {
        String at = confdDir.resolve(rel).toAbsolutePath() + ": src = " + quote(src);
        Path base = templatesIn.toAbsolutePath().normalize();
        Path resolved;
        try {
            resolved = base.resolve(src).normalize();
        } catch (InvalidPathException e) {
            throw new ConfigException(at + " is not a path: " + e.getReason());
        }
        if (!resolved.startsWith(base) || resolved.equals(base)) {
            throw new ConfigException(at + " resolves to " + resolved + ", outside the templates directory " + base
                    + "; refused (src is a path inside templates/)");
        }
        if (!Files.isRegularFile(resolved)) {
            throw new ConfigException(at + " but " + resolved + " does not exist");
        }
        try {
            Path real = resolved.toRealPath();
            Path realBase = base.toRealPath();
            if (!real.startsWith(realBase)) {
                throw new ConfigException(at + " is a symbolic link to " + real + ", outside the templates directory "
                        + realBase + "; refused (src is a path inside templates/)");
            }
        } catch (IOException e) {
            throw new ConfigException(at + ": " + resolved + " cannot be read: " + e.getMessage(), e);
        }
        StringBuilder b = new StringBuilder();
        for (Path part : base.relativize(resolved)) {
            b.append(b.isEmpty() ? "" : "/").append(part);
        }
        return b.toString();
    }

    /**
     * {@code dest}, normalised, for the comment. Nothing is written to it (the rendered plan runs as a
     * script; in the recipe {@code dest} was only the name {@code reload_cmd} ran), so a dest anywhere is
     * kept; one that is relative or that normalising changed is noted.
     */
    static String dest(Object value, String rel, List<String> notes) {
        String d = String.valueOf(value);
        String normal;
        try {
            normal = Path.of(d).normalize().toString();
        } catch (InvalidPathException e) {
            notes.add(rel + ": dest = " + quote(d) + " is not a path; kept as a comment only");
            return d;
        }
        if (!normal.equals(d) || !Path.of(d).isAbsolute()) {
            notes.add(rel + ": dest = " + quote(d) + " is " + (Path.of(d).isAbsolute() ? "" : "relative, ") + "normalised "
                    + quote(normal) + "; it is kept as a comment only (no file is written to dest)");
        }
        return normal;
    }

    /** Control characters (and the line and paragraph separators YAML may read as line breaks) as spaces. */
    static String oneLine(String s) {
        return s.replaceAll("[\\p{Cntrl}\\u0085\\u2028\\u2029]", " ");
    }

    private static String watchName(String base, List<String> taken) {
        String n = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (n.isEmpty()) {
            n = "watch";
        }
        if (n.length() > 60) {
            n = n.substring(0, 60).replaceAll("-+$", "");
        }
        String candidate = n;
        for (int i = 2; taken.contains(candidate); i++) {
            candidate = n + "-" + i;
        }
        return candidate;
    }

    private static String text(Map<String, Object> t, String key, String file) {
        Object v = t.get(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ConfigException(file + ": [template] needs " + key + " as a string");
        }
        return s;
    }

    private static List<String> keys(Map<String, Object> t, String file) {
        Object v = t.get("keys");
        if (!(v instanceof List<?> l) || l.isEmpty()) {
            throw new ConfigException(file + ": [template] needs keys, a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof String s)) {
                throw new ConfigException(file + ": keys must be strings, found " + o);
            }
            String k = s.startsWith("/") ? s : "/" + s;
            if (!out.contains(k)) {
                out.add(k); // confd reads a key listed twice once
            }
        }
        return out;
    }

    static String list(List<String> values) {
        List<String> q = values.stream().map(ConfdImporter::quote).toList();
        return "[" + String.join(", ", q) + "]";
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
