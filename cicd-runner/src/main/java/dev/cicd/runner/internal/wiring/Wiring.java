package dev.cicd.runner.internal.wiring;

import dev.cicd.core.Action;
import dev.cicd.core.CicdException;
import dev.cicd.core.FileAction;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.ShellAction;
import dev.cicd.core.TriggerSignatures;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.EtcdClients;
import dev.cicd.etcd.EtcdGateway;
import dev.cicd.k8s.KubernetesAction;
import dev.cicd.k8s.KubernetesClients;
import dev.cicd.k8s.KubernetesTemplates;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.EtcdConfig;
import dev.cicd.runner.KubernetesConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchAction;
import dev.cicd.runner.WatchConfig;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;

/** Builds clients, renderer, actions and watch specs from a {@link RunnerConfig}. */
public final class Wiring {

    private Wiring() {
    }

    /**
     * A jetcd client for the config's etcd section, checked to answer within {@code timeout}.
     *
     * @throws ConfigException for a bad TLS file or credentials pair (naming the key)
     * @throws CicdException   {@code SOURCE} naming the endpoints when etcd does not answer
     */
    public static Client etcd(EtcdConfig e, Duration timeout) {
        EtcdClients.Builder b = builder(e);
        try {
            return b.connect(timeout);
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("etcd: " + ex.getMessage(), ex);
        }
    }

    /** etcd's JSON gateway for the config's etcd section (nothing contacted yet): for short-lived clients. */
    public static EtcdGateway gateway(EtcdConfig e) {
        EtcdGateway.Builder b = EtcdGateway.builder().endpoints(e.endpointUris());
        if (!e.user().isEmpty()) {
            b.credentials(e.user(), e.password());
        }
        if (e.tls().enabled()) {
            b.tls(path(e.tls().ca()), path(e.tls().cert()), path(e.tls().key()));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("etcd: " + ex.getMessage(), ex);
        }
    }

    private static Path path(String file) {
        return file.isEmpty() ? null : Path.of(file);
    }

    /** A jetcd client for the config's etcd section, not yet checked. */
    public static Client etcdUnchecked(EtcdConfig e) {
        try {
            return builder(e).build();
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("etcd: " + ex.getMessage(), ex);
        }
    }

    private static EtcdClients.Builder builder(EtcdConfig e) {
        EtcdClients.Builder b = EtcdClients.builder().endpoints(e.endpointUris());
        if (!e.user().isEmpty()) {
            b.user(e.user()).password(e.password());
        }
        if (!e.tls().ca().isEmpty()) {
            b.caFile(Path.of(e.tls().ca()));
        }
        if (!e.tls().cert().isEmpty()) {
            b.certFile(Path.of(e.tls().cert())).keyFile(Path.of(e.tls().key()));
        }
        return b;
    }

    /** A fabric8 client for the config's kubernetes section. */
    public static KubernetesClient kubernetes(KubernetesConfig k) {
        KubernetesClients.Builder b = KubernetesClients.builder().requestTimeout(k.requestTimeout());
        if (!k.kubeconfig().isEmpty()) {
            b.kubeconfig(Path.of(k.kubeconfig()));
        } else if (k.inCluster()) {
            b.inCluster();
        } else if (!k.url().isEmpty()) {
            b.url(k.url());
            if (!k.token().isEmpty()) {
                b.token(k.token());
            }
        }
        if (!k.context().isEmpty()) {
            b.context(k.context());
        }
        try {
            return b.build();
        } catch (RuntimeException ex) {
            throw new ConfigException("kubernetes: cannot build a client from "
                    + (k.kubeconfig().isEmpty() ? k.url().isEmpty() ? k.inCluster() ? "the in-cluster service account"
                    : "the default kubeconfig" : k.url() : k.kubeconfig()) + ": " + ex.getMessage(), ex);
        }
    }

    /** Whether any watch acts on Kubernetes. */
    public static boolean needsKubernetes(RunnerConfig c) {
        return c.watches().stream().anyMatch(w -> w.action().isKubernetes());
    }

    /** The renderer's name of a watch's template. */
    public static String templateName(WatchConfig w) {
        return "watch/" + w.name() + ".peb";
    }

    /** The template source the renderer gets for a watch: the file or the built-in's text. */
    public static String templateSource(RunnerConfig c, WatchConfig w) {
        String body;
        if (w.builtinTemplate()) {
            String resource = PebbleRenderer.BUILT_IN_PREFIX + w.builtinTemplateName().orElseThrow() + ".peb";
            try (InputStream in = Wiring.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ConfigException("watches[" + w.name() + "].template: " + w.template()
                            + " is not on the class path (" + resource + ")");
                }
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            Path f = w.templateFile().orElseThrow();
            try {
                body = Files.readString(f);
            } catch (IOException e) {
                throw new ConfigException("watches[" + w.name() + "].template: cannot read " + f + ": " + e.getMessage(), e);
            }
        }
        return body;
    }

    /** A renderer holding every watch's template, with the config's {@code registry} as a variable. */
    public static PebbleRenderer renderer(RunnerConfig c) {
        PebbleRenderer.Builder b = PebbleRenderer.builder().variable(KubernetesTemplates.REGISTRY_VARIABLE, c.registry())
                .allowEnv(Set.copyOf(c.templates().allowEnv())).allowLookup(Set.copyOf(c.templates().allowLookup()));
        for (WatchConfig w : c.watches()) {
            b.template(templateName(w), templateSource(c, w));
        }
        return b.build();
    }

    /** The pipeline's watch specs: the action of each watch is registered under the watch's name. */
    public static List<WatchSpec> watchSpecs(RunnerConfig c) {
        return c.watches().stream().map(w -> WatchSpec.builder(w.name())
                .prefix(w.prefix())
                .keys(w.keys())
                .template(templateName(w))
                .action(w.name())
                .dedupe(w.dedupe())
                .timeout(w.effectiveTimeout())
                .target(w.target())
                .coalesce(w.coalesce())
                .maxValueBytes(w.maxValueBytes())
                .verify(w.verify() == null ? null : signatures(w, System.getenv()))
                .build()).toList();
    }

    /**
     * The verifier of a signed watch, its keys read from their files and environment variables.
     *
     * @throws ConfigException naming the watch, the key id and the file or variable when a key cannot be read
     */
    public static TriggerSignatures signatures(WatchConfig w, Map<String, String> env) {
        WatchConfig.Verify v = w.verify();
        TriggerSignatures.Builder b = TriggerSignatures.builder().maxValidity(v.maxValidity());
        for (String ref : v.hmacKeys()) {
            String id = WatchConfig.Verify.id(ref);
            String target = WatchConfig.Verify.target(ref);
            String where = "watches[" + w.name() + "].verify.hmacKeys: key id " + id + ": ";
            try {
                if (target.startsWith(WatchConfig.Verify.ENV)) {
                    String var = target.substring(WatchConfig.Verify.ENV.length());
                    String secret = env.get(var);
                    if (secret == null || secret.isEmpty()) {
                        throw new ConfigException(where + "the environment variable " + var + " is not set");
                    }
                    b.hmacKey(id, TriggerSignatures.secret(secret, "the environment variable " + var));
                } else {
                    b.hmacKey(id, TriggerSignatures.readSecret(Path.of(target)));
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException(where + (e instanceof IOException ? "cannot read " + target + ": " : "")
                        + e.getMessage(), e);
            }
        }
        for (String ref : v.ed25519Keys()) {
            String id = WatchConfig.Verify.id(ref);
            String file = WatchConfig.Verify.target(ref);
            try {
                b.ed25519Key(id, TriggerSignatures.readEd25519PublicKey(Path.of(file)));
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("watches[" + w.name() + "].verify.ed25519Keys: key id " + id + ": " + file
                        + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /**
     * One action per watch, by watch name. A kubernetes action is built at its first use, from the
     * client {@code kube} supplies then.
     */
    public static Map<String, Action> actions(RunnerConfig c, java.util.function.Supplier<KubernetesClient> kube) {
        Map<String, Action> out = new LinkedHashMap<>();
        for (WatchConfig w : c.watches()) {
            if (w.action().isKubernetes()) {
                out.put(w.name(), new LazyAction(() -> kubernetesAction(kube.get(), w)));
            } else if (w.action().isFile()) {
                out.put(w.name(), fileAction(w.action().file()));
            } else {
                out.put(w.name(), ShellAction.builder().command(w.action().shell().command())
                        .passEnvironment(w.action().shell().passEnv()).build());
            }
        }
        return out;
    }

    private static FileAction fileAction(WatchAction.File f) {
        FileAction.Builder b = FileAction.builder().dest(Path.of(f.dest())).passEnvironment(f.passEnv());
        Optional.ofNullable(f.mode()).ifPresent(b::mode);
        Optional.ofNullable(f.owner()).ifPresent(b::owner);
        Optional.ofNullable(f.group()).ifPresent(b::group);
        Optional.ofNullable(f.checkCmd()).ifPresent(b::checkCommand);
        Optional.ofNullable(f.reloadCmd()).ifPresent(b::reloadCommand);
        return b.build();
    }

    /**
     * An action built on first use (then kept). It compares with the live state (it is only used for
     * kubernetes actions); asking for a plan's targets builds it too.
     */
    static final class LazyAction implements Action {
        private final java.util.function.Supplier<Action> factory;
        private volatile Action action;

        LazyAction(java.util.function.Supplier<Action> factory) {
            this.factory = factory;
        }

        private Action action() {
            Action a = action;
            if (a == null) {
                synchronized (this) {
                    a = action;
                    if (a == null) {
                        a = factory.get();
                        action = a;
                    }
                }
            }
            return a;
        }

        @Override
        public dev.cicd.core.ActionResult execute(dev.cicd.core.Plan plan, dev.cicd.core.ActionContext context) {
            return action().execute(plan, context);
        }

        @Override
        public java.util.Set<String> targets(dev.cicd.core.Plan plan) {
            return action().targets(plan);
        }

        @Override
        public boolean comparesLiveState() {
            return true;
        }
    }

    /** The kubernetes action of a watch, with its allow-lists, onFailure and manifest root. */
    public static KubernetesAction kubernetesAction(KubernetesClient kube, WatchConfig w) {
        KubernetesAction.Builder b = KubernetesAction.builder(kube)
                .allowedNamespaces(new LinkedHashSet<>(w.allowedNamespaces()))
                .allowedDeployments(new LinkedHashSet<>(w.allowedDeployments()))
                .allowedRegistries(new LinkedHashSet<>(w.allowedRegistries()))
                .allowedKinds(new LinkedHashSet<>(w.allowedKinds()))
                .onFailure(w.onFailure())
                .defaultWaitTimeout(w.effectiveTimeout());
        if (!w.manifestRoot().isEmpty()) {
            b.manifestRoot(java.nio.file.Path.of(w.manifestRoot()));
        }
        return b.build();
    }

    /** The longest action timeout of any watch. */
    public static Duration longestTimeout(RunnerConfig c) {
        return c.watches().stream().map(WatchConfig::effectiveTimeout).max(Duration::compareTo).orElse(Duration.ofMinutes(5));
    }

    /** The state prefix of the config's group: {@code <statePrefix>/<group>}. */
    public static String statePrefix(RunnerConfig c) {
        return c.runner().statePrefix() + "/" + c.runner().group();
    }
}
