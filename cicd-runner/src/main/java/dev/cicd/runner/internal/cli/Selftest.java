package dev.cicd.runner.internal.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The recipe's self-test ({@code test 10 rollout}) against a running runner: N puts of distinct values,
 * then N puts of one value, each burst put back-to-back; then the outcome of every put is awaited
 * through its status record and counted, and for a kubernetes watch the Deployment's rollout revision
 * tells how many images were set.
 */
final class Selftest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Counts of one burst, and what was expected. */
    public record Phase(String name, int puts, long received, Map<Outcome.Kind, Long> outcomes, long timedOut,
                        OptionalLong imagesSet, long expectedApplied, long expectedInSync, OptionalLong expectedImages) {

        public long count(Outcome.Kind k) {
            return outcomes.getOrDefault(k, 0L);
        }

        public boolean ok() {
            return received == puts && timedOut == 0 && count(Outcome.Kind.APPLIED) == expectedApplied
                    && count(Outcome.Kind.IN_SYNC) == expectedInSync && count(Outcome.Kind.REJECTED) == 0
                    && count(Outcome.Kind.FAILED) == 0
                    && (expectedImages.isEmpty() || imagesSet.isPresent() && imagesSet.getAsLong() == expectedImages.getAsLong());
        }
    }

    /** Both bursts. */
    public record Result(String watch, String key, Phase distinct, Phase identical, Optional<String> finalImage) {
        public boolean ok() {
            return distinct.ok() && identical.ok();
        }

        public boolean timedOut() {
            return distinct.timedOut() > 0 || identical.timedOut() > 0;
        }
    }

    private Selftest() {
    }

    /**
     * Runs the test.
     *
     * @param kube  for a kubernetes watch: the cluster, to count images set; may be null
     * @param out   progress lines go here
     */
    public static Result run(RunnerConfig config, Client etcd, KubernetesClient kube, Optional<String> watchName, int times,
                             String namespace, String app, String service, Duration timeout, PrintWriter out) {
        if (times < 1) {
            throw new IllegalArgumentException("--times must be at least 1, was " + times);
        }
        WatchConfig w = watchName.map(n -> config.watch(n).orElseThrow(() -> new ConfigException(
                "no watch named '" + n + "' in the config; watches: "
                        + config.watches().stream().map(WatchConfig::name).toList())))
                .orElse(config.watches().get(0));
        String key = w.keys().isEmpty() ? w.prefix() + "/trigger" : w.fullKeys().get(0);
        String ns = namespace != null ? namespace : w.allowedNamespaces().isEmpty() ? "ns-demo1-dev" : w.allowedNamespaces().get(0);
        TriggerPublisher publisher = TriggerPublisher.builder(etcd).statusPrefix(config.runner().statusPrefix()).build();
        boolean k8s = w.action().isKubernetes() && kube != null;
        String deployment = app + "-" + service;
        String run = Long.toString(System.currentTimeMillis(), 36);
        long deadline = System.nanoTime() + timeout.toNanos();
        out.printf("selftest of watch %s: key %s, %d distinct values then %d identical ones (run %s)%n", w.name(), key,
                times, times, run);

        OptionalLong before = k8s ? revision(kube, ns, deployment) : OptionalLong.empty();
        if (k8s && before.isEmpty()) {
            out.printf("  note: deployment %s/%s not found; images set cannot be counted%n", ns, deployment);
        }
        List<String> distinct = new ArrayList<>();
        for (int i = 1; i <= times; i++) {
            distinct.add(payload(w, ns, app, service, "st-" + run + "-" + i));
        }
        Phase p1 = burst("distinct", publisher, key, distinct, deadline, out, times, 0);
        OptionalLong middle = k8s ? revision(kube, ns, deployment) : OptionalLong.empty();
        p1 = withImages(p1, before, middle, k8s, times);

        List<String> same = new ArrayList<>();
        for (int i = 1; i <= times; i++) {
            same.add(payload(w, ns, app, service, "st-" + run + "-same"));
        }
        long expApplied = w.dedupe() ? 1 : times;
        Phase p2 = burst("identical", publisher, key, same, deadline, out, expApplied, times - expApplied);
        OptionalLong after = k8s ? revision(kube, ns, deployment) : OptionalLong.empty();
        p2 = withImages(p2, middle, after, k8s, expApplied);
        Optional<String> image = k8s ? image(kube, ns, deployment) : Optional.empty();
        return new Result(w.name(), key, p1, p2, image);
    }

    private static Phase withImages(Phase p, OptionalLong from, OptionalLong to, boolean k8s, long expected) {
        OptionalLong set = from.isPresent() && to.isPresent() ? OptionalLong.of(to.getAsLong() - from.getAsLong()) : OptionalLong.empty();
        return new Phase(p.name(), p.puts(), p.received(), p.outcomes(), p.timedOut(), set, p.expectedApplied(),
                p.expectedInSync(), k8s && from.isPresent() ? OptionalLong.of(expected) : OptionalLong.empty());
    }

    private static Phase burst(String name, TriggerPublisher publisher, String key, List<String> values, long deadline,
                               PrintWriter out, long expApplied, long expInSync) {
        List<Long> revisions = new ArrayList<>();
        for (String v : values) {
            revisions.add(publisher.publish(key, v));
        }
        out.printf("  %s: put %d values, revisions %d..%d; waiting for their outcomes%n", name, values.size(),
                revisions.get(0), revisions.get(revisions.size() - 1));
        out.flush();
        Map<Outcome.Kind, Long> counts = new EnumMap<>(Outcome.Kind.class);
        long received = 0;
        long timedOut = 0;
        for (long rev : revisions) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            PublishResult r = publisher.awaitOutcome(key, rev, left);
            if (r.timedOut()) {
                timedOut++;
                continue;
            }
            received++;
            Outcome.Kind k = r.kind().orElseThrow();
            counts.merge(k, 1L, Long::sum);
            if (k == Outcome.Kind.FAILED || k == Outcome.Kind.REJECTED) {
                out.printf("    revision %d: %s: %s%n", rev, k.label(), r.reason());
            }
        }
        return new Phase(name, values.size(), received, counts, timedOut, OptionalLong.empty(), expApplied, expInSync,
                OptionalLong.empty());
    }

    private static String payload(WatchConfig w, String ns, String app, String svc, String tag) {
        ObjectNode n = JSON.createObjectNode();
        n.put("action", w.name().contains("undo") ? "undo" : "deploy");
        n.put("k8sNamespace", ns);
        n.put("appName", app);
        n.put("svcName", svc);
        n.put("imageTag", tag);
        return n.toString();
    }

    private static OptionalLong revision(KubernetesClient kube, String ns, String name) {
        Deployment d = kube.apps().deployments().inNamespace(ns).withName(name).get();
        if (d == null) {
            return OptionalLong.empty();
        }
        String r = d.getMetadata().getAnnotations() == null ? null
                : d.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision");
        try {
            return OptionalLong.of(r == null ? 0 : Long.parseLong(r));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static Optional<String> image(KubernetesClient kube, String ns, String name) {
        Deployment d = kube.apps().deployments().inNamespace(ns).withName(name).get();
        if (d == null || d.getSpec().getTemplate().getSpec().getContainers().isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    /** The recipe-like table of counts. */
    public static void print(Result r, PrintWriter out) {
        out.println();
        out.printf("%-22s %12s %12s%n", "", "distinct", "identical");
        row(out, "puts", r.distinct().puts(), r.identical().puts());
        row(out, "received (outcomes)", r.distinct().received(), r.identical().received());
        row(out, "applied (runs)", r.distinct().count(Outcome.Kind.APPLIED), r.identical().count(Outcome.Kind.APPLIED));
        row(out, "in-sync", r.distinct().count(Outcome.Kind.IN_SYNC), r.identical().count(Outcome.Kind.IN_SYNC));
        row(out, "rejected", r.distinct().count(Outcome.Kind.REJECTED), r.identical().count(Outcome.Kind.REJECTED));
        row(out, "failed", r.distinct().count(Outcome.Kind.FAILED), r.identical().count(Outcome.Kind.FAILED));
        if (r.distinct().timedOut() + r.identical().timedOut() > 0) {
            row(out, "no outcome in time", r.distinct().timedOut(), r.identical().timedOut());
        }
        out.printf("%-22s %12s %12s%n", "images set", images(r.distinct()), images(r.identical()));
        out.printf("%-22s %12s %12s%n", "expected applied/in-sync",
                r.distinct().expectedApplied() + "/" + r.distinct().expectedInSync(),
                r.identical().expectedApplied() + "/" + r.identical().expectedInSync());
        out.printf("%-22s %12s %12s%n", "result", r.distinct().ok() ? "ok" : "WRONG", r.identical().ok() ? "ok" : "WRONG");
        r.finalImage().ifPresent(i -> out.println("image now: " + i));
        out.println(r.ok() ? "selftest passed" : "selftest FAILED: a count is off");
        out.flush();
    }

    private static String images(Phase p) {
        if (p.imagesSet().isEmpty()) {
            return "-";
        }
        return p.imagesSet().getAsLong() + (p.expectedImages().isPresent() ? " (want " + p.expectedImages().getAsLong() + ")" : "");
    }

    private static void row(PrintWriter out, String label, long a, long b) {
        out.printf("%-22s %12d %12d%n", label, a, b);
    }
}
