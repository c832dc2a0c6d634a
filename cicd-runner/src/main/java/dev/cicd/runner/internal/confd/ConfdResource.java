package dev.cicd.runner.internal.confd;

import dev.cicd.runner.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One confd template resource as a watch of the imported config: a {@code file} action (dest, mode,
 * owner, group, check_cmd, reload_cmd) or, in the recipe's style where {@code reload_cmd} runs the
 * rendered {@code dest} as a script, a {@code shell} action that runs the rendered plan.
 */
final class ConfdResource {

    private static final Set<String> INTERPRETERS = Set.of("bash", "sh", "/bin/bash", "/bin/sh", "/usr/bin/bash",
            "/usr/bin/sh", "source", ".");
    private static final Pattern GETENV = Pattern.compile("getenv\\s+(?:\"|`)([A-Za-z_][A-Za-z0-9_]*)(?:\"|`)");

    private ConfdResource() {
    }

    /**
     * Whether {@code reload_cmd} runs {@code dest} as a script: it calls a shell ({@code bash}, {@code sh},
     * {@code source}...) and names the dest (its path, or a path ending in its file name, e.g.
     * {@code reload/rollout.cmd} after a {@code cd}). A resource without {@code dest} has no file to
     * write either.
     */
    static boolean runsDestAsScript(Map<String, Object> t) {
        if (!(t.get("dest") instanceof String dest) || dest.isBlank()) {
            return true; // no file to write: the rendered plan can only run
        }
        if (!(t.get("reload_cmd") instanceof String reload)) {
            return false;
        }
        String[] words = reload.split("[\\s;&|()]+");
        boolean shell = false;
        for (String w : words) {
            shell |= INTERPRETERS.contains(w);
        }
        String fileName = Path.of(dest).getFileName() == null ? dest : Path.of(dest).getFileName().toString();
        for (String w : words) {
            if (shell && (w.equals(dest) || w.equals(fileName) || w.endsWith("/" + fileName))) {
                return true;
            }
        }
        return false;
    }

    /** The names a template reads with confd's {@code getenv "NAME"}. */
    static Set<String> getenvNames(String goTemplate) {
        Set<String> out = new TreeSet<>();
        Matcher m = GETENV.matcher(goTemplate);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /**
     * confd's keys are prefixes: {@code /upstream} is the key and every key below it. The watch names
     * both ({@code /upstream} and {@code /upstream/}).
     */
    static List<String> subtreeKeys(List<String> keys) {
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String exact = k.length() > 1 && k.endsWith("/") ? k.substring(0, k.length() - 1) : k;
            if (!exact.equals("/") && !out.contains(exact)) {
                out.add(exact);
            }
            String dir = exact.equals("/") ? "/" : exact + "/";
            if (!dir.equals("/") && !out.contains(dir)) {
                out.add(dir);
            }
        }
        return out;
    }

    static void fileWatch(StringBuilder yaml, String name, String rel, Map<String, Object> t, String prefix,
            List<String> keys, String template) {
        if (!(t.get("dest") instanceof String dest) || dest.isBlank()) {
            throw new ConfigException(rel + ": [template] needs dest as a string: the file to write");
        }
        if (!dest.startsWith("/")) {
            throw new ConfigException(rel + ": dest = " + ConfdImporter.quote(dest) + " must be an absolute path");
        }
        String d = Path.of(dest).normalize().toString();
        List<String> watched = subtreeKeys(keys);
        yaml.append("  - name: ").append(name).append("   # from ").append(rel).append('\n');
        yaml.append("    prefix: ").append(ConfdImporter.quote(prefix)).append('\n');
        yaml.append("    keys: ").append(ConfdImporter.list(watched)).append("   # confd's keys are prefixes\n");
        yaml.append("    template: ").append(ConfdImporter.quote("templates/" + template)).append('\n');
        yaml.append("    target: ").append(ConfdImporter.quote(d)).append("   # one file: its events run in order\n");
        yaml.append("    coalesce: latest   # like confd: only the newest values are rendered\n");
        yaml.append("    action:\n      file:\n");
        yaml.append("        dest: ").append(ConfdImporter.quote(d)).append('\n');
        Object mode = t.get("mode");
        if (mode != null) {
            yaml.append("        mode: ").append(ConfdImporter.quote(mode(mode, rel))).append('\n');
        }
        Object owner = t.containsKey("owner") ? t.get("owner") : t.get("uid");
        if (owner != null) {
            yaml.append("        owner: ").append(ConfdImporter.quote(String.valueOf(owner))).append('\n');
        }
        if (t.get("gid") != null) {
            yaml.append("        group: ").append(ConfdImporter.quote(String.valueOf(t.get("gid")))).append('\n');
        }
        if (t.get("check_cmd") instanceof String check && !check.isBlank()) {
            yaml.append("        checkCmd: ").append(ConfdImporter.quote(check)).append("   # {{.src}}: the staged file\n");
        }
        if (t.get("reload_cmd") instanceof String reload && !reload.isBlank()) {
            yaml.append("        reloadCmd: ").append(ConfdImporter.quote(reload)).append('\n');
        }
    }

    /** confd's mode: a string of octal digits ({@code "0644"}); a TOML number (644) is read as its digits. */
    private static String mode(Object mode, String rel) {
        String m = String.valueOf(mode).trim();
        if (!m.matches("0?[0-7]{3}")) {
            throw new ConfigException(rel + ": mode = " + ConfdImporter.quote(m) + " must be octal like \"0644\"");
        }
        return m.length() == 3 ? "0" + m : m;
    }

    static void shellWatch(StringBuilder yaml, String name, String rel, Map<String, Object> t, String prefix,
            List<String> keys, String template, List<String> notes) {
        for (String k : List.of("owner", "mode", "uid", "gid")) {
            if (t.containsKey(k)) {
                notes.add(rel + ": " + k + " = " + t.get(k) + " not carried over (the rendered plan runs as a script; no file is written)");
            }
        }
        if (t.containsKey("check_cmd")) {
            notes.add(rel + ": check_cmd not carried over; validate inside the template or the plan");
        }
        yaml.append("  - name: ").append(name).append('\n');
        yaml.append("    # from ").append(rel);
        yaml.append(", dest = ").append(ConfdImporter.quote(ConfdImporter.dest(t.get("dest"), rel, notes))).append('\n');
        yaml.append("    # confd ran: ").append(ConfdImporter.oneLine(String.valueOf(t.get("reload_cmd")))).append('\n');
        yaml.append("    prefix: ").append(ConfdImporter.quote(prefix)).append('\n');
        yaml.append("    keys: ").append(ConfdImporter.list(keys)).append('\n');
        yaml.append("    template: ").append(ConfdImporter.quote("templates/" + template)).append('\n');
        yaml.append("    action: shell\n");
    }
}
