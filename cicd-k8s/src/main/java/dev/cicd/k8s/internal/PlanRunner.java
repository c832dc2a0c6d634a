package dev.cicd.k8s.internal;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.CicdException;
import dev.cicd.core.Durations;
import dev.cicd.core.TriggerEvent;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.OnFailure;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Carries out a checked plan: takes the Deployment locks, runs the steps, handles {@code onFailure: undo},
 * and tells whether the plan changed the cluster (see {@link #inSync}).
 */
public final class PlanRunner {

    private static final Logger log = LoggerFactory.getLogger(PlanRunner.class);

    /** The last line of the output of a plan that changed nothing and found every rollout complete. */
    public static final String IN_SYNC_LINE = "result: in sync (no step changed the cluster; every rollout complete)";

    private final KubernetesClient client;
    private final ActionSettings settings;
    private final PlanChecker checker;
    private final Rollouts rollouts;
    private final Revisions revisions;
    private final Applier applier;
    private final DeploymentLocks locks;
    private final DeploymentEvents events;
    private final String cluster;

    public PlanRunner(KubernetesClient client, ActionSettings settings, DeploymentLocks locks) {
        this.client = client;
        this.settings = settings;
        this.checker = new PlanChecker(settings, client.getKubernetesSerialization());
        DeploymentPatch.BeforePatch hook = (target, operation) -> settings.listener().beforePatch(target, operation);
        this.rollouts = new Rollouts(client, settings.pollInterval(), hook);
        this.revisions = new Revisions(client, hook);
        this.applier = new Applier(client);
        this.locks = locks;
        this.events = new DeploymentEvents(client, settings.clock());
        this.cluster = String.valueOf(client.getMasterUrl());
    }

    /** Parses the plan text, then {@link #run(KubernetesPlan, ActionContext, Optional)}. */
    public ActionResult run(String text, ActionContext context, Optional<TriggerEvent> event) {
        KubernetesPlan plan;
        try {
            plan = KubernetesPlan.parse(text);
        } catch (CicdException e) {
            log.warn("plan rejected: {}", e.getMessage());
            return ActionResult.rejected(e.getMessage());
        }
        return run(plan, context, event);
    }

    public ActionResult run(KubernetesPlan plan, ActionContext context, Optional<TriggerEvent> event) {
        Map<String, String> saved = MDC.getCopyOfContextMap();
        try {
            MDC.put("watch", context.watch().name());
            event.ifPresent(e -> {
                MDC.put("key", e.key());
                MDC.put("revision", String.valueOf(e.modRevision()));
            });
            return checkedRun(plan, context, event);
        } finally {
            if (saved == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(saved);
            }
        }
    }

    private ActionResult checkedRun(KubernetesPlan plan, ActionContext context, Optional<TriggerEvent> event) {
        long deadline = System.nanoTime() + context.timeout().toNanos();
        PlanChecker.Checked checked;
        try {
            checked = checker.check(plan);
        } catch (CicdException e) {
            log.warn("plan rejected: {}", e.getMessage());
            return ActionResult.rejected(e.getMessage());
        }
        OnFailure onFailure = plan.onFailure().orElse(settings.onFailure());
        Optional<DeploymentLocks.Held> held;
        try {
            held = locks.acquire(cluster, checked.lockTargets(), deadline, t -> settings.listener().lockWaiting(t));
        } catch (CicdException e) {
            return ActionResult.failed(e.getMessage(), "");
        }
        if (held.isEmpty()) {
            return ActionResult.failed("timed out after " + Durations.format(context.timeout())
                    + " waiting for another plan on deployment(s) " + checked.lockTargets(), "");
        }
        try {
            return new Execution(checked, onFailure, deadline, context, event).run();
        } finally {
            held.get().close();
        }
    }

    /** One run of one plan. */
    private final class Execution {
        private final PlanChecker.Checked checked;
        private final OnFailure onFailure;
        private final long deadline;
        private final ActionContext context;
        private final Optional<TriggerEvent> event;
        private final StringBuilder out = new StringBuilder();
        /** namespace/deployment -> revision before this plan's first setImage that changed its image. */
        private final Map<String, Long> recorded = new LinkedHashMap<>();
        /** namespace/deployment -> container -> image this plan's setImage steps set (what a rollback may undo). */
        private final Map<String, Map<String, String>> setByPlan = new LinkedHashMap<>();
        /** Whether a step sent a change (a patch, an undo, an apply that created or configured something). */
        private boolean changed;
        /** namespace/deployment whose spec was already right but whose rollout was not yet seen complete. */
        private final Set<String> pending = new TreeSet<>();
        /** namespace/deployment -> what {@code onFailure: undo} did to it. */
        private final Map<String, String> rolledBack = new LinkedHashMap<>();

        Execution(PlanChecker.Checked checked, OnFailure onFailure, long deadline, ActionContext context,
                  Optional<TriggerEvent> event) {
            this.checked = checked;
            this.onFailure = onFailure;
            this.deadline = deadline;
            this.context = context;
            this.event = event;
        }

        ActionResult run() {
            ActionResult result = runSteps();
            if (settings.events()) {
                events.outcome(checked, result, context.watch().name(), event, rolledBack);
            }
            return result;
        }

        private ActionResult runSteps() {
            List<Step> steps = checked.plan().steps();
            out.append("plan: ").append(steps.size()).append(steps.size() == 1 ? " step" : " steps")
                    .append(", onFailure ").append(onFailure.name().toLowerCase(java.util.Locale.ROOT))
                    .append(", started ").append(settings.clock().instant()).append('\n');
            for (int i = 0; i < steps.size(); i++) {
                Step step = steps.get(i);
                String head = "[" + (i + 1) + "/" + steps.size() + "] " + step.describe();
                settings.listener().stepStarted(i, step);
                context.report(step.describe(), "step " + (i + 1) + " of " + steps.size());
                try {
                    if (remaining().isNegative() || remaining().isZero()) {
                        throw new StepFailure("the action's timeout of " + Durations.format(context.timeout())
                                + " was reached before this step");
                    }
                    String summary = execute(i, step);
                    if (summary.contains("\n")) {
                        out.append(head).append('\n').append(summary).append(summary.endsWith("\n") ? "" : "\n");
                    } else {
                        out.append(head).append(": ").append(summary).append('\n');
                    }
                    settings.listener().stepFinished(i, step, true, summary);
                } catch (StepFailure f) {
                    return fail(i, step, head, f.getMessage(), f.rolloutFailed());
                } catch (KubernetesClientException e) {
                    return fail(i, step, head, ApiErrors.describe(e), false);
                } catch (CicdException e) {
                    return fail(i, step, head, e.getMessage(), false);
                }
            }
            if (changed) {
                out.append("result: applied (the plan changed the cluster)\n");
                return ActionResult.applied(out.toString());
            }
            if (!pending.isEmpty()) {
                out.append("result: applied (nothing was changed, but the rollout of ").append(String.join(", ", pending))
                        .append(" was not seen complete: no later waitForRollout)\n");
                return ActionResult.applied(out.toString());
            }
            out.append(IN_SYNC_LINE).append('\n');
            return inSync(out.toString());
        }

        private ActionResult fail(int i, Step step, String head, String message, boolean rolloutFailed) {
            out.append(head).append(": FAILED: ").append(message).append('\n');
            settings.listener().stepFinished(i, step, false, message);
            String reason = "step " + (i + 1) + " " + step.describe() + " failed: " + message;
            if (rolloutFailed && onFailure == OnFailure.UNDO && step instanceof Step.WaitForRollout w) {
                String undo = rollBack(w);
                if (recorded.containsKey(w.target())) {
                    rolledBack.put(w.target(), undo);
                }
                reason += "; " + undo;
            }
            log.warn("plan failed: {}", reason);
            return ActionResult.failed(reason, out.toString());
        }

        private String rollBack(Step.WaitForRollout w) {
            Long revision = recorded.get(w.target());
            if (revision == null) {
                return "not rolled back: no setImage of deployment " + w.target() + " in this plan changed its image";
            }
            Revisions.UndoResult undo;
            try {
                undo = revisions.undo(w.namespace(), w.deployment(), OptionalLong.of(revision), "rollback",
                        setByPlan.getOrDefault(w.target(), Map.of()));
            } catch (StepFailure f) {
                out.append("rollback ").append(w.target()).append(" to revision ").append(revision)
                        .append(": FAILED: ").append(f.getMessage()).append('\n');
                return "rollback to revision " + revision + " failed: " + f.getMessage();
            } catch (KubernetesClientException e) {
                out.append("rollback ").append(w.target()).append(": FAILED: ").append(ApiErrors.describe(e)).append('\n');
                return "rollback to revision " + revision + " failed: " + ApiErrors.describe(e);
            }
            out.append("rollback ").append(w.target()).append(": ").append(undo.summary()).append('\n');
            Duration t = waitTimeout(w.timeout());
            if (t.isNegative() || t.isZero()) {
                return "rolled back to " + revision + " (not verified: the action's timeout was reached)";
            }
            try {
                String s = rollouts.waitForRollout(w.namespace(), w.deployment(), t);
                out.append("rollback ").append(w.target()).append(": ").append(s).append('\n');
                return "rolled back to " + revision;
            } catch (StepFailure | KubernetesClientException | CicdException e) {
                String m = e instanceof KubernetesClientException k ? ApiErrors.describe(k) : e.getMessage();
                out.append("rollback ").append(w.target()).append(": FAILED: ").append(m).append('\n');
                return "rolled back to " + revision + ", but that rollout did not complete: " + m;
            }
        }

        private String execute(int index, Step step) {
            if (step instanceof Step.SetImage s) {
                return setImage(s);
            }
            if (step instanceof Step.WaitForRollout w) {
                String summary = rollouts.waitForRollout(w.namespace(), w.deployment(), waitTimeout(w.timeout()),
                        counts -> context.report(step.describe(), counts));
                pending.remove(w.target());
                return summary;
            }
            if (step instanceof Step.RolloutHistory h) {
                return revisions.historyText(h.namespace(), h.deployment());
            }
            if (step instanceof Step.RolloutUndo u) {
                changed = true; // an undo always acts, like kubectl rollout undo: never "in sync"
                return revisions.undo(u.namespace(), u.deployment(), u.toRevision(), "rolloutUndo", Map.of()).summary();
            }
            if (step instanceof Step.Apply a) {
                return apply(a, checked.manifests().get(index));
            }
            throw new IllegalStateException("unknown step " + step);
        }

        private String setImage(Step.SetImage s) {
            boolean recording = onFailure == OnFailure.UNDO && !recorded.containsKey(s.target());
            if (recording) {
                revisions.currentRevision(s.namespace(), s.deployment()).ifPresent(r -> recorded.put(s.target(), r));
            }
            String cause = s.changeCause().orElseGet(() -> defaultCause(s));
            Rollouts.SetImageResult r = rollouts.setImage(s.namespace(), s.deployment(), s.container(), s.image(), cause);
            switch (r.change()) {
                case PATCHED -> {
                    changed = true;
                    setByPlan.computeIfAbsent(s.target(), t -> new LinkedHashMap<>()).put(s.container(), s.image());
                }
                case ROLLOUT_PENDING -> pending.add(s.target());
                case IN_SYNC -> { }
            }
            if (recording && r.change() != Rollouts.ImageChange.PATCHED) {
                recorded.remove(s.target()); // nothing to roll back to: this setImage changed nothing
                return r.summary();
            }
            Long rev = recorded.get(s.target());
            return r.summary() + (rev == null ? "" : " (revision before: " + rev + ")");
        }

        private String apply(Step.Apply step, List<Manifests.Item> items) {
            List<Applier.Applied> applied = applier.apply(items);
            StringBuilder sb = new StringBuilder();
            sb.append("  ").append(applied.size()).append(applied.size() == 1 ? " object" : " objects")
                    .append(" applied (server-side, field manager ").append(Applier.FIELD_MANAGER).append("):\n");
            for (Applier.Applied a : applied) {
                sb.append("  ").append(a.line()).append('\n');
                if (a.result() != Applier.Result.UNCHANGED) {
                    changed = true;
                } else if (a.after() instanceof Deployment d && RolloutStatus.of(d).state() != RolloutStatus.State.DONE) {
                    pending.add(d.getMetadata().getNamespace() + "/" + d.getMetadata().getName());
                }
            }
            if (step.waitForRollouts()) {
                waitForApplied(applied, sb);
            }
            return sb.toString();
        }

        /** {@code apply.wait}: waits for the rollout of every Deployment applied, in order, as {@code waitForRollout}. */
        private void waitForApplied(List<Applier.Applied> applied, StringBuilder sb) {
            for (Applier.Applied a : applied) {
                if (!(a.after() instanceof Deployment d)) {
                    continue;
                }
                String ns = d.getMetadata().getNamespace();
                String name = d.getMetadata().getName();
                String target = ns + "/" + name;
                Duration t = waitTimeout(Optional.empty());
                if (t.isNegative() || t.isZero()) {
                    throw new StepFailure(applied.size() + " object(s) applied, but the action's timeout of "
                            + Durations.format(context.timeout()) + " was reached before waiting for deployment " + target);
                }
                try {
                    sb.append("  rollout ").append(target).append(": ")
                            .append(rollouts.waitForRollout(ns, name, t,
                                    counts -> context.report("rollout " + target, counts))).append('\n');
                } catch (StepFailure f) {
                    throw new StepFailure(String.join("; ", applied.stream().map(Applier.Applied::line).toList())
                            + "; then the rollout of deployment " + target + " did not complete: " + f.getMessage(), f);
                }
                pending.remove(target);
            }
        }

        private String defaultCause(Step.SetImage s) {
            return "cicd: set image " + s.container() + "=" + s.image() + " (watch " + context.watch().name()
                    + event.map(e -> ", trigger revision " + e.modRevision()
                    + e.requestId().map(id -> ", request " + (id.length() > 128 ? id.substring(0, 128) : id)).orElse(""))
                    .orElse("") + ")";
        }

        private Duration waitTimeout(Optional<Duration> timeout) {
            Duration wanted = timeout.orElse(settings.defaultWaitTimeout());
            Duration left = remaining();
            return left.compareTo(wanted) < 0 ? left : wanted;
        }

        private Duration remaining() {
            return Duration.ofNanos(deadline - System.nanoTime());
        }
    }

    /** The result of a plan that changed nothing: {@code IN_SYNC}, its output ending with {@link #IN_SYNC_LINE}. */
    static ActionResult inSync(String output) {
        return ActionResult.inSync(output);
    }
}
