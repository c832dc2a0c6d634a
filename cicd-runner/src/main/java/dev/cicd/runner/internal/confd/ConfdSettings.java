package dev.cicd.runner.internal.confd;

import dev.cicd.runner.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * confd's own settings file, {@code confd.toml} (in the confdir): {@code backend} (only {@code etcdv3}
 * or {@code etcd} can be imported), {@code nodes} (the etcd endpoints), {@code scheme}, {@code prefix}
 * (put before every resource's prefix) and {@code confdir}; other keys are listed as not carried over.
 *
 * @param endpoints etcd endpoints from {@code nodes}; empty when the file has none
 * @param prefix    the global prefix; {@code ""} when unset
 * @param confdir   where conf.d/ and templates/ are, when the file names one that exists; else null
 * @param notes     keys not carried over
 */
record ConfdSettings(List<String> endpoints, String prefix, Path confdir, List<String> notes) {

    private static final Set<String> BACKENDS = Set.of("etcdv3", "etcd");
    private static final Set<String> READ = Set.of("backend", "nodes", "scheme", "prefix", "confdir");

    static final ConfdSettings NONE = new ConfdSettings(List.of(), "", null, List.of());

    /** {@code confd.toml} in {@code dir}, or {@link #NONE} when there is none. */
    static ConfdSettings read(Path dir) throws IOException {
        Path file = dir.resolve("confd.toml");
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        Map<String, Object> t = ConfdImporter.readToml(file);
        String at = file.toAbsolutePath().toString();
        Object backend = t.get("backend");
        if (backend != null && !BACKENDS.contains(String.valueOf(backend))) {
            throw new ConfigException(at + ": backend = \"" + backend + "\": cicd reads etcd only (etcdv3 or etcd); "
                    + "move the keys to etcd or keep confd for this backend");
        }
        String scheme = t.get("scheme") instanceof String s && !s.isBlank() ? s : "http";
        List<String> endpoints = new ArrayList<>();
        if (t.containsKey("nodes")) {
            if (!(t.get("nodes") instanceof List<?> nodes)) {
                throw new ConfigException(at + ": nodes must be a list of strings, was " + t.get("nodes"));
            }
            for (Object n : nodes) {
                String node = String.valueOf(n).trim();
                endpoints.add(node.contains("://") ? node : scheme + "://" + node);
            }
        }
        Object prefix = t.getOrDefault("prefix", "");
        if (!(prefix instanceof String)) {
            throw new ConfigException(at + ": prefix must be a string, was " + prefix);
        }
        Path confdir = null;
        if (t.get("confdir") instanceof String c && !c.isBlank()) {
            Path p = dir.resolve(c);
            if (Files.isDirectory(p.resolve("conf.d"))) {
                confdir = p;
            }
        }
        List<String> notes = new ArrayList<>();
        for (String k : t.keySet()) {
            if (!READ.contains(k)) {
                notes.add("confd.toml: " + k + " not carried over (see README, Coming from confd)");
            }
        }
        return new ConfdSettings(List.copyOf(endpoints), (String) prefix, confdir, List.copyOf(notes));
    }
}
