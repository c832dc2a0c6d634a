package dev.cicd.k8s.internal;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.CicdException;
import dev.cicd.core.Durations;
import dev.cicd.core.TriggerEvent;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.OnFailure;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Carries out a checked plan: takes the Deployment locks, runs the steps, handles {@code onFailure: undo}. */
public final class PlanRunner {

    private static final Logger log = LoggerFactory.getLogger(PlanRunner.class);

    private final KubernetesClient client;
    private final ActionSettings settings;
    private final PlanChecker checker;
    private final Rollouts rollouts;
    private final Applier applier;
    private final DeploymentLocks locks;
    private final String cluster;

    public PlanRunner(KubernetesClient client, ActionSettings settings, DeploymentLocks locks) {
        this.client = client;
        this.settings = settings;
        this.checker = new PlanChecker(settings, client.getKubernetesSerialization());
        this.rollouts = new Rollouts(client, settings.pollInterval());
        this.applier = new Applier(client);
        this.locks = locks;
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
        /** namespace/deployment -> revision before this plan's first setImage of it. */
        private final Map<String, Long> recorded = new LinkedHashMap<>();

        Execution(PlanChecker.Checked checked, OnFailure onFailure, long deadline, ActionContext context,
                  Optional<TriggerEvent> event) {
            this.checked = checked;
            this.onFailure = onFailure;
            this.deadline = deadline;
            this.context = context;
            this.event = event;
        }

        ActionResult run() {
            List<Step> steps = checked.plan().steps();
            out.append("plan: ").append(steps.size()).append(steps.size() == 1 ? " step" : " steps")
                    .append(", onFailure ").append(onFailure.name().toLowerCase(java.util.Locale.ROOT))
                    .append(", started ").append(settings.clock().instant()).append('\n');
            for (int i = 0; i < steps.size(); i++) {
                Step step = steps.get(i);
                String head = "[" + (i + 1) + "/" + steps.size() + "] " + step.describe();
                settings.listener().stepStarted(i, step);
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
            return ActionResult.applied(out.toString());
        }

        private ActionResult fail(int i, Step step, String head, String message, boolean rolloutFailed) {
            out.append(head).append(": FAILED: ").append(message).append('\n');
            settings.listener().stepFinished(i, step, false, message);
            String reason = "step " + (i + 1) + " " + step.describe() + " failed: " + message;
            if (rolloutFailed && onFailure == OnFailure.UNDO && step instanceof Step.WaitForRollout w) {
                reason += "; " + rollBack(w);
            }
            log.warn("plan failed: {}", reason);
            return ActionResult.failed(reason, out.toString());
        }

        private String rollBack(Step.WaitForRollout w) {
            Long revision = recorded.get(w.target());
            if (revision == null) {
                return "not rolled back: no setImage of deployment " + w.target() + " in this plan recorded a revision";
            }
            Rollouts.UndoResult undo;
            try {
                undo = rollouts.undo(w.namespace(), w.deployment(), OptionalLong.of(revision));
            } catch (StepFailure f) {
                out.append("rollback ").append(w.target()).append(" to revision ").append(revision)
                        .append(": FAILED: ").append(f.getMessage()).append('\n');
                return "rollback to revision " + revision + " failed: " + f.getMessage();
            } catch (KubernetesClientException e) {
                out.append("rollback ").append(w.target()).append(": FAILED: ").append(ApiErrors.describe(e)).append('\n');
                return "rollback to revision " + revision + " failed: " + ApiErrors.describe(e);
            }
            out.append("rollback ").append(w.target()).append(": ").append(undo.summary()).append('\n');
            Duration t = waitTimeout(w);
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
                if (onFailure == OnFailure.UNDO && !recorded.containsKey(s.target())) {
                    rollouts.currentRevision(s.namespace(), s.deployment())
                            .ifPresent(r -> recorded.put(s.target(), r));
                }
                String cause = s.changeCause().orElseGet(() -> defaultCause(s));
                String summary = rollouts.setImage(s.namespace(), s.deployment(), s.container(), s.image(), cause);
                Long rev = recorded.get(s.target());
                return summary + (rev == null ? "" : " (revision before: " + rev + ")");
            }
            if (step instanceof Step.WaitForRollout w) {
                return rollouts.waitForRollout(w.namespace(), w.deployment(), waitTimeout(w));
            }
            if (step instanceof Step.RolloutHistory h) {
                return rollouts.historyText(h.namespace(), h.deployment());
            }
            if (step instanceof Step.RolloutUndo u) {
                return rollouts.undo(u.namespace(), u.deployment(), u.toRevision()).summary();
            }
            if (step instanceof Step.Apply) {
                List<String> lines = applier.apply(checked.manifests().get(index));
                StringBuilder sb = new StringBuilder();
                sb.append("  ").append(lines.size()).append(lines.size() == 1 ? " object" : " objects")
                        .append(" applied (server-side, field manager ").append(Applier.FIELD_MANAGER).append("):\n");
                lines.forEach(l -> sb.append("  ").append(l).append('\n'));
                return sb.toString();
            }
            throw new IllegalStateException("unknown step " + step);
        }

        private String defaultCause(Step.SetImage s) {
            return "cicd: set image " + s.container() + "=" + s.image() + " (watch " + context.watch().name()
                    + event.map(e -> ", trigger revision " + e.modRevision()).orElse("") + ")";
        }

        private Duration waitTimeout(Step.WaitForRollout w) {
            Duration wanted = w.timeout().orElse(settings.defaultWaitTimeout());
            Duration left = remaining();
            return left.compareTo(wanted) < 0 ? left : wanted;
        }

        private Duration remaining() {
            return Duration.ofNanos(deadline - System.nanoTime());
        }
    }
}
