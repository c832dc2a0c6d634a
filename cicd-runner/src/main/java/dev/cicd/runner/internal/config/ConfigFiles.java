package dev.cicd.runner.internal.config;

import dev.cicd.runner.ConfigException;
import dev.cicd.runner.EtcdConfig;
import dev.cicd.runner.KubernetesConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.RunnerSettings;
import dev.cicd.runner.WatchConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Paths of the config resolved against its directory, and the files they name checked. */
public final class ConfigFiles {

    /**
     * Built-in templates and the action they render for: {@code k8s-*} ship with cicd-k8s (kubernetes
     * steps), {@code confd-*} with cicd-core (the recipe's scripts, for a shell action). Class-path
     * resources {@code cicd/templates/NAME.peb}.
     */
    public static final Map<String, String> BUILTIN_TEMPLATES = Map.of("k8s-rollout", "kubernetes", "k8s-undo", "kubernetes",
            "k8s-apply", "kubernetes", "confd-rollout", "shell", "confd-undo", "shell");

    private ConfigFiles() {
    }

    /** The config with every path made absolute, and template, kubeconfig and TLS files checked. */
    static RunnerConfig resolve(RunnerConfig c, Path dir, LoadContext ctx) {
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
        RunnerSettings settings = new RunnerSettings(s.id(), s.group(), s.parallelism(), absolute(dir, s.logDir()).toString(),
                s.workDir().isEmpty() ? "" : absolute(dir, s.workDir()).toString(), s.logRetention(), s.statusRetention(), s.statePrefix(), s.statusPrefix(), s.httpHost(), s.httpPort(), s.electionTtl(),
                s.logFormat(), s.shards());
        List<WatchConfig> watches = new ArrayList<>();
        for (int i = 0; i < c.watches().size(); i++) {
            WatchConfig w = c.watches().get(i);
            String ptr = "/watches/" + i + "/template";
            String template;
            if (w.builtinTemplate()) {
                String n = w.builtinTemplateName().orElseThrow();
                String kind = BUILTIN_TEMPLATES.get(n);
                if (kind == null) {
                    throw new ConfigException(ctx.where(ptr, null) + ConfigErrors.displayPath(ptr) + ": no built-in template '" + n
                            + "' (built in: " + BUILTIN_TEMPLATES.keySet().stream().sorted().map(t -> "builtin:" + t).toList() + ")");
                }
                if (!kind.equals(w.action().kind())) {
                    throw new ConfigException(ctx.where(ptr, null) + ConfigErrors.displayPath(ptr) + ": builtin:" + n
                            + (kind.equals("kubernetes") ? " renders kubernetes steps; it needs action: kubernetes"
                            : " renders a shell script; it needs action: shell"));
                }
                if (n.equals("k8s-apply") && w.manifestRoot().isEmpty()) {
                    throw new ConfigException(ctx.where(ptr, null) + ConfigErrors.displayPath(ptr) + ": builtin:" + n
                            + " applies a directory below the manifest root; set watches[].manifestRoot (or CICD_WATCHES_"
                            + RunnerConfig.envName(w.name()) + "_MANIFEST_ROOT)");
                }
                if (n.equals("k8s-rollout") && c.registry().isEmpty()) {
                    throw new ConfigException(ctx.where(ptr, null) + ConfigErrors.displayPath(ptr) + ": builtin:" + n
                            + " builds the image from registry; set registry (or CICD_REGISTRY), e.g. registry.example.com/ns-demo");
                }
                template = w.template();
            } else {
                String base = Path.of(w.template()).getFileName().toString().replaceFirst("\\.peb$", "");
                if (BUILTIN_TEMPLATES.containsKey(base) && !Files.isRegularFile(absolute(dir, w.template()))) {
                    throw new ConfigException(ctx.where(ptr, null) + ConfigErrors.displayPath(ptr) + ": file "
                            + absolute(dir, w.template()) + " not found; did you mean builtin:" + base + "?");
                }
                template = existing(dir, w.template(), ptr, ctx);
            }
            watches.add(new WatchConfig(w.name(), w.prefix(), w.keys(), template, w.action(), w.dedupe(), w.timeout(),
                    w.target(), w.coalesce(), w.allowedNamespaces(), w.allowedDeployments(), w.allowedRegistries(),
                    w.onFailure(), directory(dir, w.manifestRoot(), "/watches/" + i + "/manifestRoot", ctx), w.allowedKinds(), w.maxValueBytes(),
                            verify(dir, w.verify(), "/watches/" + i + "/verify", ctx), w.notifications()));
        }
        return new RunnerConfig(etcd, kube, c.registry(), settings, watches, c.notifications(), c.templates());
    }

    /** Key files of {@code verify} made absolute and checked; {@code env:} references stay as they are. */
    private static WatchConfig.Verify verify(Path dir, WatchConfig.Verify v, String pointer, LoadContext ctx) {
        if (v == null) {
            return null;
        }
        return new WatchConfig.Verify(keyFiles(dir, v.hmacKeys(), pointer + "/hmacKeys", ctx),
                keyFiles(dir, v.ed25519Keys(), pointer + "/ed25519Keys", ctx), v.maxValidity());
    }

    private static List<String> keyFiles(Path dir, List<String> refs, String pointer, LoadContext ctx) {
        List<String> out = new ArrayList<>();
        for (String r : refs) {
            String target = WatchConfig.Verify.target(r);
            out.add(target.startsWith(WatchConfig.Verify.ENV) ? r
                    : WatchConfig.Verify.id(r) + "=" + existing(dir, target, pointer, ctx));
        }
        return out;
    }

    private static Path absolute(Path dir, String p) {
        String s = p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
        Path path = Path.of(s);
        return (path.isAbsolute() ? path : dir.resolve(path)).normalize();
    }

    /** An existing directory, made absolute against {@code dir}; {@code ""} stays {@code ""}. */
    private static String directory(Path dir, String p, String pointer, LoadContext ctx) {
        if (p.isEmpty()) {
            return p;
        }
        Path abs = absolute(dir, p);
        if (!Files.isDirectory(abs)) {
            throw new ConfigException(ctx.where(pointer, null) + ConfigErrors.displayPath(pointer) + ": directory " + abs
                    + (Files.exists(abs) ? " is not a directory" : " not found"));
        }
        return abs.toString();
    }

    private static String existing(Path dir, String p, String pointer, LoadContext ctx) {
        if (p.isEmpty()) {
            return p;
        }
        Path abs = absolute(dir, p);
        if (!Files.isRegularFile(abs)) {
            throw new ConfigException(ctx.where(pointer, null) + ConfigErrors.displayPath(pointer) + ": file " + abs
                    + (Files.isDirectory(abs) ? " is a directory" : " not found"));
        }
        if (!Files.isReadable(abs)) {
            throw new ConfigException(ctx.where(pointer, null) + ConfigErrors.displayPath(pointer) + ": file " + abs + " is not readable");
        }
        return abs.toString();
    }
}
