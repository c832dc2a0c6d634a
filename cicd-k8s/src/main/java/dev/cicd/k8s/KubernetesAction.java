package dev.cicd.k8s;

import dev.cicd.core.Action;
import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Plan;
import dev.cicd.core.Validation;
import dev.cicd.k8s.internal.ActionSettings;
import dev.cicd.k8s.internal.DeploymentLocks;
import dev.cicd.k8s.internal.PlanRunner;
import dev.cicd.k8s.internal.PlanTargets;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Carries out a {@link KubernetesPlan} (YAML plan text, see there) through the Kubernetes API.
 *
 * <ul>
 *   <li>The whole plan is checked before the first request: names (DNS-1123), image references, and the
 *       allow-lists of namespaces, Deployments and registries; {@code apply} manifests are read and checked
 *       the same way. A violation is {@link ActionResult#rejected} naming the field and value.</li>
 *   <li>{@code apply.path} is read only below the {@link Builder#manifestRoot manifest root} (required for it;
 *       {@code ..} and symlinks leaving it refused); cluster-scoped kinds are rejected unless
 *       {@link Builder#allowedKinds} lists them.</li>
 *   <li>Every Deployment the plan touches is locked for the plan's duration (one lock per cluster and
 *       {@code namespace/name}, shared by all actions of the JVM): a rollout and an undo of one Deployment
 *       never overlap; different Deployments proceed in parallel.</li>
 *   <li>A failing step ends the plan with {@link ActionResult#failed}; with {@link OnFailure#UNDO} a failed
 *       {@code waitForRollout} rolls back to the revision recorded before the plan's {@code setImage}.</li>
 *   <li>{@code rolloutUndo} and that rollback send one JSON patch that first {@code test}s the state read (uid,
 *       generation, container images): a Deployment someone changed in between is not undone, the outcome is
 *       {@code FAILED} saying it was "changed by someone else since it was read".</li>
 *   <li>Every patch and server-side apply is sent as field manager {@code cicd}; a {@code setImage} sets the
 *       {@code kubernetes.io/change-cause} annotation (unless the plan gives one) naming the watch, the trigger's
 *       etcd revision and its {@code requestId}. An applied or failed plan writes a Kubernetes Event on each
 *       Deployment it touched (see {@link Builder#events}).</li>
 *   <li>The result's output holds one summary line per step (and the rollout history tables), then a
 *       {@code result:} line with the verdict.</li>
 * </ul>
 *
 * <p><b>In sync means the cluster is in sync.</b> The action compares with the live Deployments, so
 * {@link #comparesLiveState()} is true and the pipeline always asks it, whatever plan ran before. A plan is
 * in sync when no step changed anything and every rollout it looked at is complete:
 * <ul>
 *   <li>{@code setImage} whose container already has exactly that image sends no request beyond its GET.
 *       If the rollout is complete ({@code kubectl rollout status} criteria: generation observed, all
 *       replicas updated and available, no old replica left) the step is in sync. If it is not (still in
 *       progress, or failed), the step is not in sync yet: a later {@code waitForRollout} of that Deployment
 *       in the plan waits for it, and only once it sees the rollout complete does the plan count as in
 *       sync; without such a wait the plan is reported {@code APPLIED} (nothing was sent, but the cluster
 *       was not seen at that image <em>and</em> rolled out).</li>
 *   <li>{@code waitForRollout} and {@code rolloutHistory} only read.</li>
 *   <li>{@code rolloutUndo} always acts, like {@code kubectl rollout undo}: the previous revision is the
 *       highest one below the current, so undo twice returns to the newer image; a plan with an undo is
 *       never in sync.</li>
 *   <li>{@code apply} is in sync when every object comes back {@code unchanged} (and, like
 *       {@code setImage}, an unchanged Deployment whose rollout is not complete needs a later wait).</li>
 * </ul>
 * An in-sync plan is reported as {@link ActionResult#inSync}, its output ending with
 * {@link dev.cicd.k8s.internal.PlanRunner#IN_SYNC_LINE}; any other plan that succeeds ends with a
 * {@code result: applied ...} line.
 *
 * <p>{@link #targets(Plan)} reads the plan's {@code namespace/deployment}s without a request (see
 * {@link dev.cicd.k8s.internal.PlanTargets} for {@code apply} steps).
 *
 * <p>The action starts no threads; it does not own (or close) the client.
 */
public final class KubernetesAction implements Action {

    /** Callbacks for observers (metrics, tests). Called on the executing thread; must not block for long. */
    public interface Listener {
        /** The plan must wait for another plan holding the lock of {@code namespace/deployment}. */
        default void lockWaiting(String target) {
        }

        /** A step (0-based index) starts; all locks are held. */
        default void stepStarted(int index, Step step) {
        }

        /** A step ended; {@code summary} is the step's summary or the failure's reason. */
        default void stepFinished(int index, Step step, boolean succeeded, String summary) {
        }

        /**
         * A JSON patch of {@code namespace/deployment} is about to be sent: the Deployment was read and the patch
         * built from it. {@code operation} is {@code setImage}, {@code rolloutUndo} or {@code rollback} (the
         * undo of {@code onFailure: undo}). The patch carries {@code test} operations on what was read, so a
         * change made between the read and this call makes it fail.
         */
        default void beforePatch(String target, String operation) {
        }
    }

    private final PlanRunner runner;
    private final dev.cicd.k8s.internal.PlanPreviewer previewer;
    private final KubernetesSerialization serialization;

    private KubernetesAction(KubernetesClient client, ActionSettings settings) {
        this.previewer = new dev.cicd.k8s.internal.PlanPreviewer(client, settings);
        this.runner = new PlanRunner(client, settings, DeploymentLocks.shared());
        this.serialization = client.getKubernetesSerialization();
    }

    public static Builder builder(KubernetesClient client) {
        return new Builder(client);
    }

    /** Parses {@code plan.text()} as a {@link KubernetesPlan} and carries it out. */
    @Override
    public ActionResult execute(Plan plan, ActionContext context) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(context, "context");
        return runner.run(plan.text(), context, Optional.of(plan.event()));
    }

    /**
     * The {@code namespace/deployment}s the plan's steps touch (and, for {@code apply}, see
     * {@link dev.cicd.k8s.internal.PlanTargets}), sorted. Parses the plan; sends no request.
     *
     * @throws dev.cicd.core.CicdException {@code BAD_PAYLOAD} with the parser's message when the plan text is
     *                                     not a valid plan
     */
    @Override
    public Set<String> targets(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        return Collections.unmodifiableSortedSet(PlanTargets.of(plan, serialization));
    }

    /** True: the action decides "in sync" from the live Deployments (see the class comment). */
    @Override
    public boolean comparesLiveState() {
        return true;
    }

    /**
     * What the plan would do, without acting: parsed and checked as {@link #execute} checks it (a rejection
     * names the reason), then, with {@code readLiveState}, each step compared with the live Deployment (only
     * GET requests). A cluster that does not answer is reported in {@link PlanPreview#liveState()}.
     */
    public PlanPreview preview(Plan plan, boolean readLiveState) {
        Objects.requireNonNull(plan, "plan");
        return previewer.preview(plan.text(), readLiveState);
    }

    /**
     * The rollout history of a Deployment as values (GET requests only), like the {@code rolloutHistory} step.
     *
     * @throws dev.cicd.core.CicdException {@code INVALID_FIELD} for a bad name or a namespace not on the
     *                                     allow-list; {@code ACTION} when the Deployment does not exist
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server fails
     */
    public DeploymentHistory history(String namespace, String deployment) {
        PlanPreview checked = previewer.preview(KubernetesPlan.of(new Step.RolloutHistory(namespace, deployment)), false);
        if (checked.rejection().isPresent()) {
            throw new dev.cicd.core.CicdException(dev.cicd.core.CicdException.Code.INVALID_FIELD, checked.rejection().get());
        }
        try {
            return previewer.history(namespace, deployment);
        } catch (dev.cicd.k8s.internal.StepFailure e) {
            throw new dev.cicd.core.CicdException(dev.cicd.core.CicdException.Code.ACTION, e.getMessage(), e);
        }
    }

    /** Carries out an already parsed plan (checks and locks as {@link #execute(Plan, ActionContext)}). */
    public ActionResult execute(KubernetesPlan plan, ActionContext context) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(context, "context");
        return runner.run(plan, context, Optional.empty());
    }

    /** Options of a {@link KubernetesAction}; {@link #allowedNamespaces} is required. */
    public static final class Builder {
        private final KubernetesClient client;
        private Set<String> namespaces = Set.of();
        private Set<String> deployments = Set.of();
        private Set<String> registries = Set.of();
        private Set<String> kinds = Set.of();
        private OnFailure onFailure = OnFailure.NONE;
        private Duration defaultWaitTimeout = Duration.ofMinutes(5);
        private Duration pollInterval = Duration.ofMillis(250);
        private Clock clock = Clock.systemUTC();
        private Path manifestRoot;
        private Listener listener = new Listener() { };
        private boolean events = true;

        private Builder(KubernetesClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** Namespaces any step may touch (required, not empty). */
        public Builder allowedNamespaces(Set<String> namespaces) {
            this.namespaces = new LinkedHashSet<>(namespaces);
            return this;
        }

        /** Deployments steps may touch, as {@code name} or {@code namespace/name}; empty (default) allows all. */
        public Builder allowedDeployments(Set<String> deployments) {
            this.deployments = new LinkedHashSet<>(deployments);
            return this;
        }

        /** Registries ({@code host} or {@code host:port}) images may come from; empty (default) allows all. */
        public Builder allowedRegistries(Set<String> registries) {
            this.registries = new LinkedHashSet<>(registries);
            return this;
        }

        /**
         * Cluster-scoped kinds ({@code ClusterRole}, {@code CustomResourceDefinition}, ...) that {@code apply} may
         * send; default none, so a manifest with one is rejected before any request. Namespaces are not listed
         * here: one is allowed when its name is on {@link #allowedNamespaces}. Namespaced kinds need no entry.
         */
        public Builder allowedKinds(Set<String> kinds) {
            this.kinds = new LinkedHashSet<>(kinds);
            return this;
        }

        /** What a failed {@code waitForRollout} does when the plan does not say; default {@link OnFailure#NONE}. */
        public Builder onFailure(OnFailure onFailure) {
            this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
            return this;
        }

        /** Timeout of {@code waitForRollout} steps that name none; default 5 minutes. */
        public Builder defaultWaitTimeout(Duration timeout) {
            this.defaultWaitTimeout = Objects.requireNonNull(timeout, "defaultWaitTimeout");
            return this;
        }

        /**
         * Longest pause between two reads of a Deployment while waiting (polls start at 25 ms); default 250 ms,
         * so a verdict comes at most that long after the rollout completed.
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = Objects.requireNonNull(interval, "pollInterval");
            return this;
        }

        /** Clock for the timestamps in the output; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The directory {@code apply.path} resolves against; required by plans that apply a {@code path}
         * (without it they are rejected, naming this setting). The path's real location (symlinks resolved)
         * must stay below the root's; {@code ..} is refused.
         */
        public Builder manifestRoot(Path root) {
            this.manifestRoot = Objects.requireNonNull(root, "manifestRoot");
            return this;
        }

        /**
         * Whether each applied or failed plan writes a Kubernetes Event ({@code CicdApplied}, {@code CicdFailed},
         * {@code CicdRolledBack}; core/v1, source {@code cicd}) on every Deployment it touched; default true. Needs
         * {@code create} on {@code events} (deploy/20-clusterrole.yaml grants it). A failure to write one is
         * logged and never changes the outcome.
         */
        public Builder events(boolean events) {
            this.events = events;
            return this;
        }

        public Builder listener(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @throws dev.cicd.core.CicdException {@code INVALID_FIELD} for an invalid allow-list entry
         * @throws IllegalArgumentException    for no namespaces or a non-positive duration
         */
        public KubernetesAction build() {
            if (namespaces.isEmpty()) {
                throw new IllegalArgumentException("allowedNamespaces must name at least one namespace");
            }
            namespaces.forEach(n -> Validation.dns1123Label("allowedNamespaces", n));
            for (String d : deployments) {
                int slash = d.indexOf('/');
                if (slash >= 0) {
                    Validation.dns1123Label("allowedDeployments", d.substring(0, slash));
                }
                Validation.dns1123Subdomain("allowedDeployments", d.substring(slash + 1));
            }
            for (String r : registries) {
                if (r.isBlank() || r.contains("/") || r.chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException("allowedRegistries entries are host or host:port, was '" + r + "'");
                }
            }
            for (String k : kinds) {
                if (!k.matches("[A-Z][A-Za-z0-9]{0,62}")) {
                    throw new IllegalArgumentException("allowedKinds entries are kinds like ClusterRole, was '" + k + "'");
                }
            }
            if (defaultWaitTimeout.isNegative() || defaultWaitTimeout.isZero()) {
                throw new IllegalArgumentException("defaultWaitTimeout must be positive, was " + defaultWaitTimeout);
            }
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
            return new KubernetesAction(client, new ActionSettings(namespaces, deployments, registries, kinds, onFailure,
                    defaultWaitTimeout, pollInterval, clock, Optional.ofNullable(manifestRoot), listener, events));
        }
    }
}
