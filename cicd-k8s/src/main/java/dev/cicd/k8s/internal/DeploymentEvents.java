package dev.cicd.k8s.internal;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerEvent;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a core/v1 Event on a Deployment a plan touched, so {@code kubectl describe deployment} and
 * {@code kubectl get events} show who changed it: source and reporting component {@value #COMPONENT}.
 * The Deployment is read first for its uid (kubectl matches a Deployment's events by uid). A failure to
 * read or write is logged as a WARN and never thrown: an Event is a note, not part of the outcome.
 */
final class DeploymentEvents {

    /** The component named as the Event's source and reporting controller. */
    static final String COMPONENT = "cicd";
    /** The longest message written (the API server refuses messages past 1 KiB on events.k8s.io). */
    static final int MAX_MESSAGE = 1024;

    private static final Logger log = LoggerFactory.getLogger(DeploymentEvents.class);
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** The reasons written; each with its Event type. */
    enum Reason {
        /** The plan succeeded and changed the Deployment (or left its rollout to complete). */
        APPLIED("CicdApplied", "Normal"),
        /** The plan failed on this Deployment (or on another of its steps). */
        FAILED("CicdFailed", "Warning"),
        /** {@code onFailure: undo} rolled this Deployment back after a failed rollout. */
        ROLLED_BACK("CicdRolledBack", "Warning");

        final String reason;
        final String type;

        Reason(String reason, String type) {
            this.reason = reason;
            this.type = type;
        }
    }

    private final KubernetesClient client;
    private final Clock clock;

    DeploymentEvents(KubernetesClient client, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * One Event per Deployment a plan touches ({@code checked.lockTargets()}): {@code CicdApplied} when it
     * applied, {@code CicdFailed} when it failed, and {@code CicdRolledBack} on each Deployment
     * {@code onFailure: undo} rolled back ({@code rolledBack}: target -> what the undo did). In-sync plans write
     * none (they changed nothing); rejected plans never get here (they send no request at all). Never throws.
     */
    void outcome(PlanChecker.Checked checked, ActionResult result, String watch, Optional<TriggerEvent> event,
                 Map<String, String> rolledBack) {
        for (String target : checked.lockTargets()) {
            int slash = target.indexOf('/');
            String ns = target.substring(0, slash);
            String name = target.substring(slash + 1);
            Map<String, String> planned = planned(checked, target);
            if (result.kind() == Outcome.Kind.APPLIED) {
                record(ns, name, Reason.APPLIED, d -> message("applied", watch, event, planned, d, ""));
            } else if (result.kind() == Outcome.Kind.FAILED) {
                record(ns, name, Reason.FAILED, d -> message("failed", watch, event, planned, d, result.reason()));
                String undo = rolledBack.get(target);
                if (undo != null) {
                    record(ns, name, Reason.ROLLED_BACK,
                            d -> message("rolled back after a failed rollout", watch, event, Map.of(), d, undo));
                }
            }
        }
    }

    /** container -> image the plan's setImage steps ask for on {@code target}. */
    private static Map<String, String> planned(PlanChecker.Checked checked, String target) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Step s : checked.plan().steps()) {
            if (s instanceof Step.SetImage i && i.target().equals(target)) {
                out.put(i.container(), i.image());
            }
        }
        return out;
    }

    /**
     * Writes one Event on {@code namespace/name}, its message made from the Deployment read (null when it is not
     * there). Never throws.
     *
     * @return whether the Event was written
     */
    boolean record(String namespace, String name, Reason reason, Function<Deployment, String> message) {
        try {
            Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
            client.v1().events().inNamespace(namespace)
                    .resource(event(namespace, name, d, reason, message.apply(d))).create();
            return true;
        } catch (RuntimeException e) {
            log.warn("writing Event {} on deployment {}/{} failed (the outcome stands): {}", reason.reason, namespace,
                    name, e.toString());
            return false;
        }
    }

    /** The Event; {@code current} (may be null: deleted, or never there) gives the uid and resource version. */
    Event event(String namespace, String name, Deployment current, Reason reason, String message) {
        Instant now = clock.instant();
        String time = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
        ObjectReferenceBuilder ref = new ObjectReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
                .withNamespace(namespace).withName(name);
        if (current != null && current.getMetadata() != null) {
            ref.withUid(current.getMetadata().getUid()).withResourceVersion(current.getMetadata().getResourceVersion());
        }
        ObjectReference involved = ref.build();
        // name.<hex nanos>, as client-go's recorder names them; the sequence keeps two in one nanosecond apart
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() + SEQUENCE.incrementAndGet();
        return new EventBuilder()
                .withNewMetadata().withNamespace(namespace).withName((name.length() > 230 ? name.substring(0, 230) : name) + "." + Long.toHexString(nanos)).endMetadata()
                .withInvolvedObject(involved)
                .withReason(reason.reason)
                .withType(reason.type)
                .withMessage(cap(message))
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .withFirstTimestamp(time)
                .withLastTimestamp(time)
                .withCount(1)
                .build();
    }

    /**
     * {@code VERDICT (watch W, trigger revision R, request ID, image C=IMAGE[, ...])[: DETAIL]}; the images are
     * {@code planned} (what the plan's setImage steps asked for) or else the Deployment's current ones.
     */
    static String message(String verdict, String watch, Optional<TriggerEvent> event, Map<String, String> planned,
                          Deployment current, String detail) {
        StringBuilder sb = new StringBuilder("cicd ").append(verdict).append(" (watch ").append(watch);
        event.ifPresent(e -> {
            sb.append(", trigger revision ").append(e.modRevision());
            e.requestId().ifPresent(id -> sb.append(", request ").append(id.length() > 128 ? id.substring(0, 128) : id));
        });
        Map<String, String> images = !planned.isEmpty() || current == null ? planned : DeploymentPatch.images(current);
        if (!images.isEmpty()) {
            sb.append(images.size() == 1 ? ", image " : ", images ");
            sb.append(String.join(", ", images.entrySet().stream().map(i -> i.getKey() + "=" + i.getValue()).toList()));
        }
        sb.append(')');
        if (!detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        return sb.toString();
    }

    private static String cap(String s) {
        String one = s.replace('\r', ' ');
        return one.length() <= MAX_MESSAGE ? one : one.substring(0, MAX_MESSAGE - 3) + "...";
    }
}
