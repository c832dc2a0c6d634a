package dev.cicd.runner;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.cicd.core.WatchSpec.Coalesce;
import dev.cicd.k8s.OnFailure;
import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One entry of {@code watches}: the equivalent of a confd template resource.
 *
 * @param name               unique name (status keys, logs, metrics)
 * @param prefix             key prefix, e.g. {@code /cicd/rollout}; {@code /} is the root (then keys are required)
 * @param keys               keys below the prefix, e.g. {@code [/trigger]}; one ending in {@code /} names every
 *                           key below it ({@code /upstream/}); empty: every key below the prefix
 * @param template           a template file (relative to the config file) or {@code builtin:NAME}
 * @param action             {@code kubernetes}, or {@code shell} with its command
 * @param dedupe             skip a plan equal to the last one applied (default true)
 * @param timeout            how long one action may take (default 5 m)
 * @param target             a template expression naming what an event changes, e.g.
 *                           {@code {{ data.k8sNamespace }}/{{ data.appName }}-{{ data.svcName }}}: events of
 *                           one target run one at a time, in order, those of different targets in parallel;
 *                           {@code ""} (the default) means the event's key. A kubernetes action takes its
 *                           targets from the plan ({@code namespace/deployment}) instead
 * @param coalesce           {@code none} (default): every queued value of a target runs; {@code latest}: only
 *                           the newest, the skipped ones end {@code superseded}
 * @param allowedNamespaces  kubernetes: namespaces the watch may change (required)
 * @param allowedDeployments kubernetes: deployments it may change ({@code name} or {@code namespace/name}); empty = any
 * @param allowedRegistries  kubernetes: registry hosts ({@code host[:port]}) images may come from; empty = any
 * @param onFailure          kubernetes: {@code none} or {@code undo}
 * @param manifestRoot       kubernetes: the directory {@code apply.path} resolves against and may not leave
 *                           (relative to the config file); required by plans that apply a path, e.g.
 *                           {@code builtin:k8s-apply}; {@code ""} (default) = none
 * @param allowedKinds       kubernetes: cluster-scoped kinds ({@code ClusterRole}, ...) {@code apply} may send;
 *                           empty (default) = none (a Namespace on {@code allowedNamespaces} needs no entry)
 * @param maxValueBytes      the largest value accepted (bytes); a larger one is {@code rejected} (default 256 KiB)
 * @param verify             signed triggers: when set, every value must carry a valid {@code cicd-sig-v1}
 *                           signature by one of its keys; absent (the default): values are not signed
 * @param notifications      key {@code notify}: sinks for this watch's outcomes, in addition to the top-level {@code notify} ones
 */
public record WatchConfig(String name, String prefix, List<String> keys, String template, WatchAction action,
                          Boolean dedupe, Duration timeout, String target, Coalesce coalesce,
                          List<String> allowedNamespaces, List<String> allowedDeployments, List<String> allowedRegistries,
                          OnFailure onFailure, String manifestRoot, List<String> allowedKinds, Integer maxValueBytes,
                          Verify verify, @JsonProperty("notify") List<NotifyConfig> notifications) {

    /** Template names that start with this prefix are built in (shipped on the class path). */
    public static final String BUILTIN = "builtin:";

    private static final Pattern WATCH_NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");
    private static final Pattern REGISTRY_HOST = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?");
    private static final Pattern KIND = Pattern.compile("[A-Z][A-Za-z0-9]{0,62}");
    private static final Pattern DEPLOYMENT_REF = Pattern.compile(
            "([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public WatchConfig {
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
        if (!prefix.startsWith("/")) {
            throw new KeyProblem("prefix", "must start with '/' ('/' alone: the root, as confd's default), was '"
                    + prefix + "'");
        }
        if (prefix.equals("/") && (keys == null || keys.isEmpty())) {
            throw new KeyProblem("keys", "are required with prefix '/': the root holds every key of the cluster");
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
                    + "builtin:k8s-undo, builtin:k8s-apply, builtin:confd-rollout, builtin:confd-undo");
        }
        template = template.trim();
        if (template.startsWith(BUILTIN) && template.length() == BUILTIN.length()) {
            throw new KeyProblem("template", "'builtin:' needs a name, e.g. builtin:k8s-rollout");
        }
        if (action == null) {
            throw new KeyProblem("action", "is required: kubernetes, or shell: {command: [...], timeout: 5m}");
        }
        notifications = NotifyConfig.list("notify", notifications);
        dedupe = dedupe == null || dedupe;
        timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
        Checks.positive("timeout", timeout);
        target = target == null ? "" : target.trim();
        if (count(target, "{{") != count(target, "}}")) {
            throw new KeyProblem("target", "'" + target + "' is not a template expression: its {{ and }} do not pair up");
        }
        coalesce = coalesce == null ? Coalesce.NONE : coalesce;
        maxValueBytes = maxValueBytes == null ? dev.cicd.core.WatchSpec.DEFAULT_MAX_VALUE_BYTES : maxValueBytes;
        if (maxValueBytes < 1) {
            throw new KeyProblem("maxValueBytes", "must be at least 1, was " + maxValueBytes);
        }
        allowedNamespaces = names("allowedNamespaces", allowedNamespaces, Checks.DNS1123_LABEL, "a DNS-1123 label");
        allowedDeployments = names("allowedDeployments", allowedDeployments, DEPLOYMENT_REF,
                "a deployment name or namespace/name");
        allowedRegistries = names("allowedRegistries", allowedRegistries, REGISTRY_HOST,
                "a registry host like registry.example.com or registry.example.com:5000");
        onFailure = onFailure == null ? OnFailure.NONE : onFailure;
        manifestRoot = manifestRoot == null ? "" : manifestRoot.trim();
        allowedKinds = names("allowedKinds", allowedKinds, KIND, "a kind like ClusterRole");
        if (action.isKubernetes() && allowedNamespaces.isEmpty()) {
            throw new KeyProblem("allowedNamespaces", "a kubernetes watch must list the namespaces it may change");
        }
        if (!action.isKubernetes()) {
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
            if (!manifestRoot.isEmpty()) {
                throw new KeyProblem("manifestRoot", "applies to kubernetes actions only");
            }
            if (!allowedKinds.isEmpty()) {
                throw new KeyProblem("allowedKinds", "applies to kubernetes actions only; a shell template validates its own input");
            }
        }
    }

    /**
     * {@code watches[].verify}: the keys a signed watch trusts, by key id, and how far ahead a signature may
     * expire. Keys are references, never the secrets themselves: {@code ID=FILE} (a path, relative to the
     * config file) or, for shared secrets, {@code ID=env:VARIABLE}.
     *
     * @param hmacKeys    HMAC-SHA256 shared secrets: {@code ci=/run/secrets/cicd-hmac} or {@code ci=env:CICD_HMAC}
     * @param ed25519Keys Ed25519 public keys (PEM): {@code release=keys/release.pub}
     * @param maxValidity the latest expiry accepted, from now (default 15 m)
     */
    public record Verify(List<String> hmacKeys, List<String> ed25519Keys, Duration maxValidity) {

        private static final Pattern KEY_REF = Pattern.compile("([A-Za-z0-9._-]{1,64})=(.+)");
        private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
        /** The prefix of a key taken from an environment variable. */
        public static final String ENV = "env:";

        public Verify {
            hmacKeys = refs("hmacKeys", hmacKeys, true);
            ed25519Keys = refs("ed25519Keys", ed25519Keys, false);
            if (hmacKeys.isEmpty() && ed25519Keys.isEmpty()) {
                throw new KeyProblem("hmacKeys", "a watch that verifies signatures needs at least one key in hmacKeys "
                        + "(ID=FILE or ID=env:VARIABLE) or ed25519Keys (ID=FILE)");
            }
            HashSet<String> ids = new HashSet<>();
            for (String r : concat(hmacKeys, ed25519Keys)) {
                String id = id(r);
                if (!ids.add(id)) {
                    throw new KeyProblem(hmacKeys.contains(r) ? "hmacKeys" : "ed25519Keys", "key id '" + id + "' is given twice");
                }
            }
            maxValidity = maxValidity == null ? Duration.ofMinutes(15) : maxValidity;
            if (maxValidity.toSeconds() < 1) {
                throw new KeyProblem("maxValidity", "must be at least 1s, was " + maxValidity);
            }
        }

        /** The key id of a reference ({@code ci} of {@code ci=/run/secrets/x}). */
        public static String id(String ref) {
            return ref.substring(0, ref.indexOf('='));
        }

        /** What a reference points at ({@code /run/secrets/x}, or {@code env:VAR}). */
        public static String target(String ref) {
            return ref.substring(ref.indexOf('=') + 1);
        }

        private static List<String> concat(List<String> a, List<String> b) {
            List<String> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }

        private static List<String> refs(String key, List<String> values, boolean envAllowed) {
            List<String> out = new ArrayList<>();
            for (String v : values == null ? List.<String>of() : values) {
                String t = v == null ? "" : v.trim();
                var m = KEY_REF.matcher(t);
                if (!m.matches()) {
                    throw new KeyProblem(key, "'" + t + "' is not ID=FILE" + (envAllowed ? " or ID=env:VARIABLE" : "")
                            + " (a key id of [A-Za-z0-9._-], then the file" + (envAllowed ? " or variable" : "")
                            + " holding the key; never the key itself)");
                }
                String target = m.group(2).trim();
                if (target.startsWith(ENV)) {
                    if (!envAllowed) {
                        throw new KeyProblem(key, "'" + t + "': an Ed25519 public key is read from a PEM file, not env:");
                    }
                    if (!ENV_NAME.matcher(target.substring(ENV.length())).matches()) {
                        throw new KeyProblem(key, "'" + t + "': env: must name an environment variable");
                    }
                }
                out.add(m.group(1) + "=" + target);
            }
            return List.copyOf(out);
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

    /** The action's timeout: {@code shell.timeout} / {@code file.timeout} when set, otherwise {@code timeout}. */
    public Duration effectiveTimeout() {
        return action.timeout().orElse(timeout);
    }

    /**
     * The full keys this watch names ({@code /cicd/rollout/trigger}; a key ending in {@code /} names its
     * subtree).
     */
    public List<String> fullKeys() {
        String p = prefix.equals("/") ? "" : prefix;
        if (keys.isEmpty()) {
            return List.of(p + "/");
        }
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            out.add(p + k);
        }
        return out;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
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
