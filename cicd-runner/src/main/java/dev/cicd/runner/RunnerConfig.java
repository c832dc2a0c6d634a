package dev.cicd.runner;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.cicd.runner.internal.config.ConfigLoader;
import dev.cicd.runner.internal.config.EnvironmentOverrides;
import dev.cicd.runner.internal.config.KeyProblem;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The runner's configuration: one YAML file, every key overridable by an environment variable (except the
 * {@code notify} lists, which are lists of maps: file only).
 * Load it with {@link #load(Path)}; the records are immutable and validated when built. Optional text
 * values are {@code ""} when unset, never {@code null}; relative paths are resolved against the config
 * file's directory by the loader.
 *
 * <p>Environment overrides: {@code CICD_} followed by the key path in upper snake case, e.g.
 * {@code runner.logRetention.maxAge} -> {@code CICD_RUNNER_LOG_RETENTION_MAX_AGE}; list values are
 * comma-separated; a watch is addressed by its name upper-cased with {@code -} and {@code .} turned into
 * {@code _}: {@code CICD_WATCHES_ROLLOUT_ALLOWED_NAMESPACES}. See {@link #environmentVariables}.
 *
 * <p>The sections are records of their own: {@link EtcdConfig}, {@link KubernetesConfig},
 * {@link RunnerSettings}, and a {@link WatchConfig} (with its {@link WatchAction}) per watch.
 *
 * @param etcd       where the triggers, checkpoints and status records live
 * @param kubernetes how to reach the cluster for {@code kubernetes} actions
 * @param registry   image registry prefix handed to templates as {@code registry}, e.g.
 *                   {@code registry.example.com/ns-demo}; {@code ""} when unset
 * @param runner     this runner process
 * @param watches    what to watch and what to do
 * @param notifications key {@code notify}: where every watch's outcomes are sent (webhooks, Slack); a watch's own {@code notify}
 *                   entries are added to these for that watch; empty by default
 * @param templates  what template functions may reach: {@code getenv}'s and the DNS lookups' allow-lists
 */
public record RunnerConfig(EtcdConfig etcd, KubernetesConfig kubernetes, String registry, RunnerSettings runner,
                           List<WatchConfig> watches,
                           @JsonProperty("notify") List<NotifyConfig> notifications, TemplatesConfig templates) {

    private static final Pattern REGISTRY = Pattern.compile(
            "[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*");

    public RunnerConfig {
        etcd = etcd == null ? new EtcdConfig(null, null, null, null) : etcd;
        kubernetes = kubernetes == null ? new KubernetesConfig(null, null, null, null, null, null) : kubernetes;
        registry = registry == null ? "" : registry.trim();
        if (!registry.isEmpty() && !REGISTRY.matcher(registry).matches()) {
            throw new KeyProblem("registry", "'" + registry + "' is not a registry prefix like registry.example.com/ns-demo");
        }
        runner = runner == null ? new RunnerSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null) : runner;
        watches = List.copyOf(watches == null ? List.of() : watches);
        notifications = NotifyConfig.list("notify", notifications);
        templates = templates == null ? new TemplatesConfig(null, null) : templates;
        if (watches.isEmpty()) {
            throw new KeyProblem("watches", "at least one watch is required");
        }
        Map<String, String> names = new HashMap<>();
        Map<String, String> envNames = new HashMap<>();
        Map<String, String> fullKeys = new HashMap<>();
        for (int i = 0; i < watches.size(); i++) {
            WatchConfig w = watches.get(i);
            if (w == null) {
                throw new KeyProblem("watches[" + i + "]", "an empty entry; each watch needs at least name, prefix, template and action");
            }
            if (names.put(w.name(), w.name()) != null) {
                throw new KeyProblem("watches[" + i + "].name", "'" + w.name() + "' is used by two watches");
            }
            String env = envName(w.name());
            String other = envNames.put(env, w.name());
            if (other != null) {
                throw new KeyProblem("watches[" + i + "].name", "'" + w.name() + "' and '" + other
                        + "' both map to the environment prefix CICD_WATCHES_" + env + "_");
            }
            for (String full : w.fullKeys()) {
                String owner = fullKeys.put(full, w.name());
                // confd's template resources share keys: file watches may (each renders its own file)
                if (owner != null && !(w.action().isFile() && watch(watches, owner).action().isFile())) {
                    throw new KeyProblem("watches[" + i + "].keys", "watches '" + owner + "' and '" + w.name()
                            + "' both watch " + full + "; every key may belong to one watch only");
                }
            }
        }
    }

    private static WatchConfig watch(List<WatchConfig> watches, String name) {
        return watches.stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
    }

    /** Loads and validates a config file, with the process environment's {@code CICD_*} overrides. */
    public static RunnerConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** Loads and validates a config file, with the {@code CICD_*} overrides found in {@code env}. */
    public static RunnerConfig load(Path file, Map<String, String> env) {
        return ConfigLoader.load(file, env);
    }

    /** The watch with that name. */
    public Optional<WatchConfig> watch(String name) {
        return watches.stream().filter(w -> w.name().equals(name)).findFirst();
    }

    /**
     * Every environment variable that overrides a key, with the key path it sets, for this config's
     * watches ({@code CICD_ETCD_ENDPOINTS -> etcd.endpoints}, ...).
     */
    public List<Map.Entry<String, String>> environmentVariables() {
        return EnvironmentOverrides.environmentVariables(watches.stream().map(WatchConfig::name).toList());
    }

    /** The watch name as used in environment variable names: upper case, {@code -} and {@code .} as {@code _}. */
    public static String envName(String watchName) {
        return watchName.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }
}
