package dev.cicd.runner;

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
 * @param prefix             key prefix, e.g. {@code /cicd/rollout}
 * @param keys               keys below the prefix, e.g. {@code [/trigger]}; empty: every key below it
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
 */
public record WatchConfig(String name, String prefix, List<String> keys, String template, WatchAction action,
                          Boolean dedupe, Duration timeout, String target, Coalesce coalesce,
                          List<String> allowedNamespaces, List<String> allowedDeployments, List<String> allowedRegistries,
                          OnFailure onFailure, String manifestRoot, List<String> allowedKinds) {

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
                    + "builtin:k8s-undo, builtin:k8s-apply, builtin:confd-rollout, builtin:confd-undo");
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
        Checks.positive("timeout", timeout);
        target = target == null ? "" : target.trim();
        if (count(target, "{{") != count(target, "}}")) {
            throw new KeyProblem("target", "'" + target + "' is not a template expression: its {{ and }} do not pair up");
        }
        coalesce = coalesce == null ? Coalesce.NONE : coalesce;
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
            if (!manifestRoot.isEmpty()) {
                throw new KeyProblem("manifestRoot", "applies to kubernetes actions only");
            }
            if (!allowedKinds.isEmpty()) {
                throw new KeyProblem("allowedKinds", "applies to kubernetes actions only; a shell template validates its own input");
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
