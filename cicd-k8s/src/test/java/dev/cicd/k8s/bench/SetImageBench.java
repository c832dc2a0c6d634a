package dev.cicd.k8s.bench;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.FileTrees;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.k8s.KubernetesAction;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark (a main, not a test): one {@code setImage} per event through {@link KubernetesAction} (plan parsed,
 * validated, Deployment locked, GET + one JSON PATCH) versus one {@code kubectl patch --type=json} process per
 * event, against the same simulated cluster. Events are sequential, as a watch delivers them.
 *
 * <pre>
 * mvn -B -q -o -pl cicd-k8s test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp
 * java -cp cicd-k8s/target/classes:cicd-k8s/target/test-classes:$(cat cicd-k8s/target/bench.cp) \
 *     dev.cicd.k8s.bench.SetImageBench [apiEvents=2000] [kubectlEvents=100] [apiWarmup=3000] [kubectl=/usr/bin/kubectl]
 * </pre>
 */
public final class SetImageBench {

    private static final String NS = "bench";
    private static final String NAME = "bench-app";
    private static final String REGISTRY = "registry.example.com/bench/";
    private static final int TAGS = 10;

    private SetImageBench() {
    }

    public static void main(String[] args) throws Exception {
        int apiEvents = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int kubectlEvents = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int apiWarmup = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
        String kubectl = args.length > 3 ? args[3] : "/usr/bin/kubectl";
        if (!Files.isExecutable(Path.of(kubectl))) {
            throw new IllegalStateException("kubectl not found at " + kubectl);
        }
        System.out.println("load average before: " + loadAverage());
        Path work = Files.createTempDirectory("cicd-bench");
        try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                .workDir(work).build()) {
            k8s.client().apps().deployments().inNamespace(NS).resource(deployment()).create();
            KubernetesAction action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).build();
            ActionContext ctx = new ActionContext(WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
                    .template("k8s-rollout.peb").action("kubernetes").build(), Duration.ofSeconds(30), work);

            // warm-up: JIT and connection pool (a runner is a long-lived process), kubectl's discovery cache
            long[] cold = run(action, ctx, apiWarmup, 0);
            kubectl(kubectl, k8s.kubeconfigFile(), 3, apiWarmup);
            report("warm-up: setImage via API, first events of the JVM", cold);

            long[] api = run(action, ctx, apiEvents, apiWarmup);
            long[] cli = kubectl(kubectl, k8s.kubeconfigFile(), kubectlEvents, apiWarmup + apiEvents);
            report("setImage via API (KubernetesAction)", api);
            report("kubectl patch --type=json, one process per event", cli);
            double ratioMedian = (double) median(cli) / median(api);
            double ratioRate = rate(api) / rate(cli);
            System.out.printf(Locale.ROOT, "ratio: median latency %.1fx, events/s %.1fx%n", ratioMedian, ratioRate);
            String image = k8s.client().apps().deployments().inNamespace(NS).withName(NAME).get()
                    .getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
            System.out.println("final image: " + image);
            System.out.println("load average after: " + loadAverage());
        } finally {
            FileTrees.deleteTree(work);
        }
    }

    private static Deployment deployment() {
        return new DeploymentBuilder()
                .withNewMetadata().withNamespace(NS).withName(NAME).endMetadata()
                .withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app", NAME).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", NAME).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(REGISTRY + NAME + ":t0").endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    private static String tag(int i) {
        return "t" + (i % TAGS);
    }

    private static long[] run(KubernetesAction action, ActionContext ctx, int n, int offset) {
        long[] out = new long[n + 1];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String image = REGISTRY + NAME + ":" + tag(offset + i + 1);
            String text = "steps:\n  - setImage: {namespace: \"" + NS + "\", deployment: \"" + NAME
                    + "\", container: \"app\", image: \"" + image + "\", changeCause: \"bench " + i + "\"}\n";
            Plan plan = Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", "{}", offset + i + 1), text);
            long t0 = System.nanoTime();
            ActionResult r = action.execute(plan, ctx);
            out[i] = System.nanoTime() - t0;
            if (r.kind() != Outcome.Kind.APPLIED) {
                throw new IllegalStateException("event " + i + ": " + r.kind() + " " + r.reason());
            }
        }
        out[n] = System.nanoTime() - start;
        return out;
    }

    private static long[] kubectl(String kubectl, Path kubeconfig, int n, int offset) throws IOException, InterruptedException {
        long[] out = new long[n + 1];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String image = REGISTRY + NAME + ":" + tag(offset + i + 1);
            String patch = "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"" + image
                    + "\"},{\"op\":\"add\",\"path\":\"/metadata/annotations/kubernetes.io~1change-cause\",\"value\":\"bench "
                    + i + "\"}]";
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(kubectl, "--kubeconfig", kubeconfig.toString(), "-n", NS, "patch",
                    "deployment", NAME, "--type=json", "-p", patch).redirectErrorStream(true).start();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("kubectl failed: " + new String(output, StandardCharsets.UTF_8));
            }
            out[i] = System.nanoTime() - t0;
        }
        out[n] = System.nanoTime() - start;
        return out;
    }

    private static long[] sorted(long[] samples) {
        long[] s = Arrays.copyOf(samples, samples.length - 1);
        Arrays.sort(s);
        return s;
    }

    private static long median(long[] samples) {
        long[] s = sorted(samples);
        return s[s.length / 2];
    }

    private static long percentile(long[] samples, double p) {
        long[] s = sorted(samples);
        int idx = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, idx))];
    }

    private static double rate(long[] samples) {
        return (samples.length - 1) / (samples[samples.length - 1] / 1e9);
    }

    private static void report(String name, long[] samples) {
        System.out.printf(Locale.ROOT, "%s: events %d, median %.2f ms, p99 %.2f ms, max %.2f ms, %.1f events/s%n",
                name, samples.length - 1, median(samples) / 1e6, percentile(samples, 99) / 1e6,
                sorted(samples)[samples.length - 2] / 1e6, rate(samples));
    }

    /** The first three fields of {@code /proc/loadavg}, or "n/a" off Linux. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
