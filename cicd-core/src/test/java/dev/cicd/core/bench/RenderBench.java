package dev.cicd.core.bench;

import dev.cicd.core.Deduplicator;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Render + fingerprint + dedupe per event, single thread, for the recipe's rollout template (the built-in
 * {@code confd-rollout.peb}) and the recipe's payload with a different image tag per event.
 *
 * <p>Not a test: run it by hand and copy the figures into {@code docs/benchmarks.md}.
 * <pre>
 * java -cp cicd-core/target/classes:cicd-core/target/test-classes:$(cat /tmp/core-cp.txt) dev.cicd.core.bench.RenderBench [events] [runs]
 * </pre>
 * Per event it builds the watch's key map, renders (which parses the payload and hashes the text with
 * SHA-256), asks the deduplicator whether the plan is in sync and records it as applied. The events are
 * built before the clock starts.
 */
public final class RenderBench {

    private static final String PAYLOAD_HEAD =
            "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\",\"imageTag\":\"";

    private RenderBench() {
    }

    public static void main(String[] args) {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int warmups = 3;

        WatchSpec watch = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
                .template("confd-rollout.peb").build();
        PebbleRenderer renderer = PebbleRenderer.builder().build();

        TriggerEvent[] batch = new TriggerEvent[events];
        String[] payloads = new String[events];
        for (int i = 0; i < events; i++) {
            payloads[i] = PAYLOAD_HEAD + "v1." + i + "\"}";
            batch[i] = TriggerEvent.put("rollout", "/cicd/rollout/trigger", payloads[i], i + 1L);
        }
        Plan sample = renderer.render(watch, batch[0], keys(payloads[0]));
        System.out.printf("template confd-rollout.peb, plan %d characters, payload %d bytes, %d events per run%n",
                sample.text().length(), payloads[0].length(), events);

        for (int w = 0; w < warmups; w++) {
            Result r = run(renderer, watch, batch, payloads);
            System.out.printf("warm-up %d: %,.0f events/s, %,.0f ns/event%n", w + 1, r.perSecond(), r.nsPerEvent());
        }
        double[] nsPerEvent = new double[runs];
        for (int i = 0; i < runs; i++) {
            Result r = run(renderer, watch, batch, payloads);
            nsPerEvent[i] = r.nsPerEvent();
            System.out.printf("run %d: %,.0f events/s, %,.0f ns/event (applied %d, in sync %d)%n",
                    i + 1, r.perSecond(), r.nsPerEvent(), r.applied, r.inSync);
        }
        double[] sorted = nsPerEvent.clone();
        Arrays.sort(sorted);
        double median = sorted[runs / 2];
        System.out.printf("median of %d runs: %,.0f events/s, %,.0f ns/event (min %,.0f, max %,.0f ns/event)%n",
                runs, 1e9 / median, median, sorted[0], sorted[runs - 1]);
    }

    private static SortedMap<String, String> keys(String payload) {
        SortedMap<String, String> keys = new TreeMap<>();
        keys.put("/trigger", payload);
        return keys;
    }

    private record Result(long nanos, int events, int applied, int inSync) {
        double nsPerEvent() {
            return (double) nanos / events;
        }

        double perSecond() {
            return events * 1e9 / nanos;
        }
    }

    private static Result run(PebbleRenderer renderer, WatchSpec watch, TriggerEvent[] batch, String[] payloads) {
        java.util.Map<String, String> lastApplied = new java.util.HashMap<>();
        Deduplicator dedupe = target -> java.util.Optional.ofNullable(lastApplied.get(target));
        int applied = 0;
        int inSync = 0;
        long start = System.nanoTime();
        for (int i = 0; i < batch.length; i++) {
            Plan plan = renderer.render(watch, batch[i], keys(payloads[i]));
            if (dedupe.inSync(plan, plan.targets())) {
                inSync++;
            } else {
                for (String t : plan.targets()) {
                    lastApplied.put(t, plan.fingerprint());
                }
                applied++;
            }
        }
        long nanos = System.nanoTime() - start;
        return new Result(nanos, batch.length, applied, inSync);
    }
}
