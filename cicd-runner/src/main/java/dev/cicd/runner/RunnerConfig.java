package dev.cicd.runner;

import dev.cicd.k8s.OnFailure;
import dev.cicd.runner.internal.config.ConfigLoader;
import dev.cicd.runner.internal.config.KeyProblem;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The runner's configuration: one YAML file, every key overridable by an environment variable.
 * Load it with {@link #load(Path)}; the records are immutable and validated when built. Optional text
 * values are {@code ""} when unset, never {@code null}; relative paths are resolved against the config
 * file's directory by the loader.
 *
 * <p>Environment overrides: {@code CICD_} followed by the key path in upper snake case, e.g.
 * {@code runner.logRetention.maxAge} -> {@code CICD_RUNNER_LOG_RETENTION_MAX_AGE}; list values are
 * comma-separated; a watch is addressed by its name upper-cased with {@code -} and {@code .} turned into
 * {@code _}: {@code CICD_WATCHES_ROLLOUT_ALLOWED_NAMESPACES}. See {@link #environmentVariables}.
 *
 * @param etcd       where the triggers, checkpoints and status records live
 * @param kubernetes how to reach the cluster for {@code kubernetes} actions
 * @param registry   image registry prefix handed to templates as {@code registry}, e.g.
 *                   {@code registry.example.com/ns-demo}; {@code ""} when unset
 * @param runner     this runner process
 * @param watches    what to watch and what to do
 */
public record RunnerConfig(Etcd etcd, Kubernetes kubernetes, String registry, Settings runner, List<Watch> watches) {

    static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    static final Pattern REGISTRY = Pattern.compile(
            "[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*");
    static final Pattern REGISTRY_HOST = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?");
    static final Pattern DEPLOYMENT_REF = Pattern.compile(
            "([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    static final Pattern WATCH_NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");

    public RunnerConfig {
        etcd = etcd == null ? new Etcd(null, null, null, null) : etcd;
        kubernetes = kubernetes == null ? new Kubernetes(null, null, null, null, null, null) : kubernetes;
        registry = registry == null ? "" : registry.trim();
        if (!registry.isEmpty() && !REGISTRY.matcher(registry).matches()) {
            throw new KeyProblem("registry", "'" + registry + "' is not a registry prefix like registry.example.com/ns-demo");
        }
        runner = runner == null ? new Settings(null, null, null, null, null, null, null, null, null, null) : runner;
        watches = List.copyOf(watches == null ? List.of() : watches);
        if (watches.isEmpty()) {
            throw new KeyProblem("watches", "at least one watch is required");
        }
        Map<String, String> names = new HashMap<>();
        Map<String, String> envNames = new HashMap<>();
        Map<String, String> fullKeys = new HashMap<>();
        for (int i = 0; i < watches.size(); i++) {
            Watch w = watches.get(i);
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
            for (String k : w.keys().isEmpty() ? List.of("/") : w.keys()) {
                String full = w.prefix() + k;
                String owner = fullKeys.put(full, w.name());
                if (owner != null) {
                    throw new KeyProblem("watches[" + i + "].keys", "watches '" + owner + "' and '" + w.name()
                            + "' both watch " + full + "; every key may belong to one watch only");
                }
            }
        }
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
    public Optional<Watch> watch(String name) {
        return watches.stream().filter(w -> w.name().equals(name)).findFirst();
    }

    /**
     * Every environment variable that overrides a key, with the key path it sets, for this config's
     * watches ({@code CICD_ETCD_ENDPOINTS -> etcd.endpoints}, ...).
     */
    public List<Map.Entry<String, String>> environmentVariables() {
        return ConfigLoader.environmentVariables(watches.stream().map(Watch::name).toList());
    }

    /** The watch name as used in environment variable names: upper case, {@code -} and {@code .} as {@code _}. */
    public static String envName(String watchName) {
        return watchName.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    /**
     * etcd connection.
     *
     * @param endpoints client URLs, default {@code http://127.0.0.1:2379}
     * @param user      user name for etcd authentication, {@code ""} for none
     * @param password  its password
     * @param tls       TLS files, all {@code ""} for plain HTTP
     */
    public record Etcd(List<String> endpoints, String user, String password, Tls tls) {
        public Etcd {
            endpoints = List.copyOf(endpoints == null || endpoints.isEmpty() ? List.of("http://127.0.0.1:2379") : endpoints);
            for (String e : endpoints) {
                checkUrl("endpoints", e);
            }
            user = user == null ? "" : user;
            password = password == null ? "" : password;
            if (!password.isEmpty() && user.isEmpty()) {
                throw new KeyProblem("user", "a password is set but no user");
            }
            tls = tls == null ? new Tls(null, null, null) : tls;
            if (tls.enabled() && endpoints.stream().anyMatch(e -> e.startsWith("http://"))) {
                throw new KeyProblem("endpoints", "tls is configured but an endpoint uses http://; use https://");
            }
        }

        /** The endpoints as URIs. */
        public List<URI> endpointUris() {
            return endpoints.stream().map(URI::create).toList();
        }

        @Override
        public String toString() {
            return "Etcd[endpoints=" + endpoints + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                    + ", tls=" + tls + "]";
        }
    }

    /**
     * TLS files for etcd.
     *
     * @param ca   CA certificate (PEM) that signed the server's certificate
     * @param cert client certificate (PEM), with {@code key}
     * @param key  client private key (PEM, PKCS#8)
     */
    public record Tls(String ca, String cert, String key) {
        public Tls {
            ca = ca == null ? "" : ca;
            cert = cert == null ? "" : cert;
            key = key == null ? "" : key;
            if (cert.isEmpty() != key.isEmpty()) {
                throw new KeyProblem(cert.isEmpty() ? "cert" : "key", "cert and key must be set together");
            }
        }

        /** Whether any TLS file is set. */
        public boolean enabled() {
            return !ca.isEmpty() || !cert.isEmpty();
        }
    }

    /**
     * Kubernetes connection. With nothing set, the usual discovery applies ({@code KUBECONFIG},
     * {@code ~/.kube/config}, then the in-cluster service account).
     *
     * @param kubeconfig     a kubeconfig file
     * @param context        the context to use in it, {@code ""} for its current context
     * @param inCluster      use the pod's service account
     * @param url            API server URL (with {@code token})
     * @param token          bearer token for {@code url}
     * @param requestTimeout timeout of one API request, default 30 s
     */
    public record Kubernetes(String kubeconfig, String context, Boolean inCluster, String url, String token,
                             Duration requestTimeout) {
        public Kubernetes {
            kubeconfig = kubeconfig == null ? "" : kubeconfig;
            context = context == null ? "" : context;
            inCluster = inCluster != null && inCluster;
            url = url == null ? "" : url;
            token = token == null ? "" : token;
            requestTimeout = requestTimeout == null ? Duration.ofSeconds(30) : requestTimeout;
            checkPositive("requestTimeout", requestTimeout);
            int ways = (kubeconfig.isEmpty() ? 0 : 1) + (inCluster ? 1 : 0) + (url.isEmpty() ? 0 : 1);
            if (ways > 1) {
                throw new KeyProblem(inCluster ? "inCluster" : "url", "choose one of kubeconfig, inCluster and url");
            }
            if (!url.isEmpty()) {
                checkUrl("url", url);
            }
            if (!token.isEmpty() && url.isEmpty()) {
                throw new KeyProblem("token", "a token needs url");
            }
            if (!context.isEmpty() && (inCluster || !url.isEmpty())) {
                throw new KeyProblem("context", "context applies to a kubeconfig only");
            }
        }

        @Override
        public String toString() {
            return "Kubernetes[kubeconfig=" + kubeconfig + ", context=" + context + ", inCluster=" + inCluster
                    + ", url=" + url + ", token=" + (token.isEmpty() ? "" : "***") + ", requestTimeout=" + requestTimeout + "]";
        }
    }

    /**
     * This runner process.
     *
     * @param id           runner id written into status records, default {@code <host>-<pid>}
     * @param group        runners of one group share checkpoints and elect one leader; default {@code default}
     * @param logDir       run-log directory, default {@code logs} next to the config file
     * @param workDir      where plan files are written for actions, default the system's temporary
     *                     directory (a fresh subdirectory per run)
     * @param logRetention how long run logs are kept
     * @param statePrefix  etcd prefix of checkpoints and fingerprints, default {@code /cicd/.state}
     * @param statusPrefix etcd prefix of status records, default {@code /cicd/.status}
     * @param httpHost     address of the health and metrics endpoint, default {@code 127.0.0.1}
     * @param httpPort     its port; 0 (the default) turns it off
     * @param electionTtl  leader lease TTL, whole seconds, default 10 s
     */
    public record Settings(String id, String group, String logDir, String workDir, LogRetention logRetention, String statePrefix,
                           String statusPrefix, String httpHost, Integer httpPort, Duration electionTtl) {
        public Settings {
            id = id == null || id.isBlank() ? defaultId() : id.trim();
            if (!id.matches("[A-Za-z0-9][-A-Za-z0-9_.]{0,127}")) {
                throw new KeyProblem("id", "'" + id + "' must be 1-128 characters of letters, digits, - _ .");
            }
            group = group == null || group.isBlank() ? "default" : group.trim();
            if (!DNS1123_LABEL.matcher(group).matches()) {
                throw new KeyProblem("group", "'" + group + "' must be a DNS-1123 label (lower-case letters, digits, -)");
            }
            logDir = logDir == null || logDir.isBlank() ? "logs" : logDir;
            workDir = workDir == null ? "" : workDir.trim();
            logRetention = logRetention == null ? new LogRetention(null, null) : logRetention;
            statePrefix = prefix("statePrefix", statePrefix, "/cicd/.state");
            statusPrefix = prefix("statusPrefix", statusPrefix, "/cicd/.status");
            httpHost = httpHost == null || httpHost.isBlank() ? "127.0.0.1" : httpHost.trim();
            httpPort = httpPort == null ? 0 : httpPort;
            if (httpPort < 0 || httpPort > 65535) {
                throw new KeyProblem("httpPort", "must be between 0 (off) and 65535, was " + httpPort);
            }
            electionTtl = electionTtl == null ? Duration.ofSeconds(10) : electionTtl;
            if (electionTtl.toMillis() % 1000 != 0 || electionTtl.getSeconds() < 2) {
                throw new KeyProblem("electionTtl", "must be whole seconds, at least 2s, was " + electionTtl);
            }
        }

        private static String prefix(String key, String value, String dflt) {
            String p = value == null || value.isBlank() ? dflt : value.trim();
            while (p.length() > 1 && p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (!p.startsWith("/") || p.length() < 2) {
                throw new KeyProblem(key, "must start with '/' and name a prefix, was '" + value + "'");
            }
            return p;
        }

        private static String defaultId() {
            String host = System.getenv().getOrDefault("HOSTNAME", "");
            if (host.isBlank()) {
                try {
                    host = java.net.InetAddress.getLocalHost().getHostName();
                } catch (java.io.IOException e) {
                    host = "runner";
                }
            }
            host = host.replaceAll("[^-A-Za-z0-9_.]", "-");
            if (host.isEmpty() || !Character.isLetterOrDigit(host.charAt(0))) {
                host = "runner" + host;
            }
            if (host.length() > 100) {
                host = host.substring(0, 100);
            }
            return host + "-" + ProcessHandle.current().pid();
        }
    }

    /**
     * Run-log retention, applied per watch after each run.
     *
     * @param maxAge   delete run logs older than this, default 7 d
     * @param maxFiles keep at most this many per watch, default 1000
     */
    public record LogRetention(Duration maxAge, Integer maxFiles) {
        public LogRetention {
            maxAge = maxAge == null ? Duration.ofDays(7) : maxAge;
            checkPositive("maxAge", maxAge);
            maxFiles = maxFiles == null ? 1000 : maxFiles;
            if (maxFiles < 1) {
                throw new KeyProblem("maxFiles", "must be at least 1, was " + maxFiles);
            }
        }
    }

    /**
     * One watch: the equivalent of a confd template resource.
     *
     * @param name               unique name (status keys, logs, metrics)
     * @param prefix             key prefix, e.g. {@code /cicd/rollout}
     * @param keys               keys below the prefix, e.g. {@code [/trigger]}; empty: every key below it
     * @param template           a template file (relative to the config file) or {@code builtin:NAME}
     * @param action             {@code kubernetes}, or {@code shell} with its command
     * @param dedupe             skip a plan equal to the last one applied (default true)
     * @param timeout            how long one action may take (default 5 m)
     * @param allowedNamespaces  kubernetes: namespaces the watch may change (required)
     * @param allowedDeployments kubernetes: deployments it may change ({@code name} or {@code namespace/name}); empty = any
     * @param allowedRegistries  kubernetes: registry hosts ({@code host[:port]}) images may come from; empty = any
     * @param onFailure          kubernetes: {@code none} or {@code undo}
     */
    public record Watch(String name, String prefix, List<String> keys, String template, WatchAction action,
                        Boolean dedupe, Duration timeout, List<String> allowedNamespaces, List<String> allowedDeployments,
                        List<String> allowedRegistries, OnFailure onFailure) {

        /** Template names that start with this prefix are built in (shipped on the class path). */
        public static final String BUILTIN = "builtin:";

        public Watch {
            if (name == null || name.isBlank()) {
                throw new KeyProblem("name", "is required");
            }
            if (!WATCH_NAME.matcher(name).matches()) {
                throw new KeyProblem("name", "'" + name + "' must be 1-63 characters of [a-z0-9-_.], starting and ending with a letter or digit");
            }
            if (prefix == null || prefix.isBlank()) {
                throw new KeyProblem("prefix", "is required (e.g. /cicd/rollout); give every watch its own prefix");
            }
            prefix = prefix.trim();
            while (prefix.length() > 1 && prefix.endsWith("/")) {
                prefix = prefix.substring(0, prefix.length() - 1);
            }
            if (!prefix.startsWith("/") || prefix.length() < 2) {
                throw new KeyProblem("prefix", "must start with '/' and name a prefix, was '" + prefix + "'");
            }
            keys = List.copyOf(keys == null ? List.of() : keys);
            for (String k : keys) {
                if (k == null || !k.startsWith("/") || k.length() < 2) {
                    throw new KeyProblem("keys", "each key must start with '/' and name a key, was '" + k + "'");
                }
            }
            if (new HashSet<>(keys).size() != keys.size()) {
                throw new KeyProblem("keys", "lists a key twice: " + keys);
            }
            if (template == null || template.isBlank()) {
                throw new KeyProblem("template", "is required: a file relative to the config file, or builtin:k8s-rollout, "
                        + "builtin:k8s-undo, builtin:confd-rollout, builtin:confd-undo");
            }
            template = template.trim();
            if (template.startsWith(BUILTIN) && template.length() == BUILTIN.length()) {
                throw new KeyProblem("template", "'builtin:' needs a name, e.g. builtin:k8s-rollout");
            }
            if (action == null) {
                throw new KeyProblem("action", "is required: kubernetes, or shell: {command: [...], timeout: 5m}");
            }
            dedupe = dedupe == null || dedupe;
            timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
            checkPositive("timeout", timeout);
            allowedNamespaces = names("allowedNamespaces", allowedNamespaces, DNS1123_LABEL, "a DNS-1123 label");
            allowedDeployments = names("allowedDeployments", allowedDeployments, DEPLOYMENT_REF,
                    "a deployment name or namespace/name");
            allowedRegistries = names("allowedRegistries", allowedRegistries, REGISTRY_HOST,
                    "a registry host like registry.example.com or registry.example.com:5000");
            onFailure = onFailure == null ? OnFailure.NONE : onFailure;
            if (action.isKubernetes() && allowedNamespaces.isEmpty()) {
                throw new KeyProblem("allowedNamespaces", "a kubernetes watch must list the namespaces it may change");
            }
            if (action.isShell()) {
                for (String k : List.of("allowedNamespaces", "allowedDeployments", "allowedRegistries")) {
                    List<String> l = switch (k) {
                        case "allowedNamespaces" -> allowedNamespaces;
                        case "allowedDeployments" -> allowedDeployments;
                        default -> allowedRegistries;
                    };
                    if (!l.isEmpty()) {
                        throw new KeyProblem(k, "applies to kubernetes actions only; a shell template validates its own input");
                    }
                }
                if (onFailure != OnFailure.NONE) {
                    throw new KeyProblem("onFailure", "applies to kubernetes actions only");
                }
            }
        }

        /** Whether the template is built in ({@code builtin:NAME}). */
        public boolean builtinTemplate() {
            return template.startsWith(BUILTIN);
        }

        /** The built-in template's name ({@code k8s-rollout}), or empty for a file template. */
        public Optional<String> builtinTemplateName() {
            return builtinTemplate() ? Optional.of(template.substring(BUILTIN.length())) : Optional.empty();
        }

        /** The template file, or empty for a built-in template. */
        public Optional<Path> templateFile() {
            return builtinTemplate() ? Optional.empty() : Optional.of(Path.of(template));
        }

        /** The action's timeout: {@code shell.timeout} when set, otherwise {@code timeout}. */
        public Duration effectiveTimeout() {
            return action.isShell() && action.shell().timeout() != null ? action.shell().timeout() : timeout;
        }

        /** The full keys this watch names ({@code /cicd/rollout/trigger}). */
        public List<String> fullKeys() {
            if (keys.isEmpty()) {
                return List.of(prefix + "/");
            }
            List<String> out = new ArrayList<>();
            for (String k : keys) {
                out.add(prefix + k);
            }
            return out;
        }

        private static List<String> names(String key, List<String> values, Pattern p, String what) {
            List<String> out = new ArrayList<>();
            for (String v : values == null ? List.<String>of() : values) {
                String t = v == null ? "" : v.trim();
                if (!p.matcher(t).matches()) {
                    throw new KeyProblem(key, "'" + v + "' is not " + what);
                }
                out.add(t);
            }
            if (new HashSet<>(out).size() != out.size()) {
                throw new KeyProblem(key, "lists a value twice: " + out);
            }
            return List.copyOf(out);
        }
    }

    /**
     * The action of a watch: exactly one of {@code kubernetes} and {@code shell}. In YAML,
     * {@code action: kubernetes}, {@code action: shell}, or {@code action: {shell: {command: [...]}}}.
     */
    public record WatchAction(KubernetesAction kubernetes, Shell shell) {
        public WatchAction {
            if ((kubernetes == null) == (shell == null)) {
                throw new KeyProblem("action", "must be exactly one of kubernetes and shell");
            }
        }

        public static WatchAction kubernetesAction() {
            return new WatchAction(new KubernetesAction(), null);
        }

        public static WatchAction shellAction(List<String> command, Duration timeout) {
            return new WatchAction(null, new Shell(command, timeout));
        }

        public boolean isKubernetes() {
            return kubernetes != null;
        }

        public boolean isShell() {
            return shell != null;
        }

        /** {@code kubernetes} or {@code shell}. */
        public String kind() {
            return isKubernetes() ? "kubernetes" : "shell";
        }
    }

    /** The kubernetes action: a plan of steps (YAML) executed through the API. No options yet. */
    public record KubernetesAction() {
    }

    /**
     * The shell action.
     *
     * @param command the command; {@code {plan}} is replaced by the plan file's path. Default
     *                {@code [bash, -eu, -o, pipefail, "{plan}"]}: the plan is a bash script
     * @param timeout how long it may run; the watch's {@code timeout} when unset
     */
    public record Shell(List<String> command, Duration timeout) {

        /** The command when none is given: the plan is a bash script. */
        public static final List<String> DEFAULT_COMMAND = List.of("bash", "-eu", "-o", "pipefail", "{plan}");

        public Shell {
            command = List.copyOf(command == null || command.isEmpty() ? DEFAULT_COMMAND : command);
            for (String c : command) {
                if (c == null || c.isEmpty()) {
                    throw new KeyProblem("command", "must not contain empty words: " + command);
                }
            }
            if (timeout != null) {
                checkPositive("timeout", timeout);
            }
        }
    }

    static void checkPositive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new KeyProblem(key, "must be positive, was " + d);
        }
    }

    static void checkUrl(String key, String url) {
        try {
            URI u = new URI(url);
            if (!Set.of("http", "https").contains(String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT))
                    || u.getHost() == null || key.equals("endpoints") && u.getPort() == -1) {
                throw new KeyProblem(key, "'" + url + "' must be an http:// or https:// URL with host"
                        + (key.equals("endpoints") ? " and port, e.g. http://127.0.0.1:2379" : ""));
            }
        } catch (URISyntaxException e) {
            throw new KeyProblem(key, "'" + url + "' is not a URL: " + e.getReason());
        }
    }
}
