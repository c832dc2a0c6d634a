package dev.cicd.runner.internal.cli;

import dev.cicd.core.FileTrees;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.Runner;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RecipeDeployment;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code cicd demo} does: a local etcd, a simulated cluster, the runner in this process with the
 * recipe's config (examples/recipe.yaml), the recipe's triggers, each step printed. Uses the testkit; only
 * {@link DemoCommand} refers to it, after checking that the demo's libraries are on the class path.
 */
final class Demo {

    static final String NAMESPACE = RecipeDeployment.NAMESPACE;
    static final String APP = RecipeDeployment.APP;
    static final String SERVICE = RecipeDeployment.SERVICE;
    /** The app of the apply trigger: its manifests are {@code <manifestRoot>/NAMESPACE/APPLIED_APP/}. */
    static final String APPLIED_APP = "demoproject";
    /** examples/ of the source tree, in the jar: the recipe's config and the manifests of {@link #APPLIED_APP}. */
    static final String RECIPE = "/dev/cicd/runner/recipe/";
    static final List<String> RECIPE_FILES = List.of("recipe.yaml",
            "manifests/" + NAMESPACE + "/" + APPLIED_APP + "/deployment.yaml",
            "manifests/" + NAMESPACE + "/" + APPLIED_APP + "/service.yaml");

    private final PrintWriter out;
    private final int times;
    private final boolean keep;
    private int step;

    Demo(PrintWriter out, int times, boolean keep) {
        this.out = out;
        this.times = times;
        this.keep = keep;
    }

    /** Runs the demo; the exit code. */
    int run() throws IOException {
        Path dir = Files.createTempDirectory("cicd-demo-");
        boolean ok;
        String failure = "the self-test counts are off";
        say(out, "demo directory " + dir);
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).workDir(dir).build()) {
            say(out, "started etcd (local process) at " + etcd.endpoints().get(0));
            try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).workDir(dir).build()) {
                say(out, "started a simulated Kubernetes API at " + k8s.apiUrl() + " (kubeconfig " + k8s.kubeconfigFile() + ")");
                KubernetesClient kube = k8s.client();
                copyRecipe(dir);
                Path config = dir.resolve("recipe.yaml");
                say(out, "wrote the recipe's config (examples/recipe.yaml) to " + config + ":");
                Files.readString(config).lines().forEach(l -> out.println("      " + l));
                Map<String, String> overrides = overrides(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile());
                say(out, "with this etcd, this cluster and no HTTP port, as environment overrides:");
                overrides.forEach((k, v) -> out.println("      " + k + "=" + v));
                RunnerConfig c = RunnerConfig.load(config, overrides);
                say(out, "wrote the manifests of " + APPLIED_APP + " to " + dir.resolve("manifests") + " (examples/manifests)");

                RecipeDeployment.create(kube, c.registry(), APP, 2);
                say(out, "created Deployment " + RecipeDeployment.NAME + " in " + NAMESPACE + " with image " + image(kube));

                try (Runner runner = Runner.start(c)) {
                    if (!runner.awaitWatching(Duration.ofSeconds(60))) {
                        throw new IllegalStateException("the runner did not start watching within 60 s");
                    }
                    say(out, "started the runner in this process; it leads group " + c.runner().group()
                            + " and watches " + c.watches().stream().flatMap(w -> w.fullKeys().stream()).toList());

                    TriggerPublisher publisher = TriggerPublisher.builder(etcd.client())
                            .statusPrefix(c.runner().statusPrefix()).build();
                    String v1 = trigger("deploy", "v1");
                    say(out, "CI puts a trigger, like `cicd trigger --key /cicd/rollout/trigger --json '" + v1 + "' --wait`");
                    report(out, publisher.publishAndAwait("/cicd/rollout/trigger", v1, Duration.ofSeconds(60)));
                    say(out, "image now " + image(kube));

                    say(out, "the recipe's self-test: " + times + " distinct values, then " + times + " identical ones");
                    Selftest.Result r = Selftest.run(c, etcd.client(), kube, Optional.of("rollout"), times, NAMESPACE, APP,
                            SERVICE, Duration.ofMinutes(3), out);
                    Selftest.print(r, out);
                    ok = r.ok();

                    String undo = trigger("undo", "v3");
                    say(out, "CI asks for an undo: put /cicd/undo/trigger " + undo);
                    report(out, publisher.publishAndAwait("/cicd/undo/trigger", undo, Duration.ofSeconds(60)));
                    say(out, "image after the undo " + image(kube));

                    String bad = "{\"action\":\"deploy\",\"k8sNamespace\":\"kube-system\",\"appName\":\"demo1\","
                            + "\"svcName\":\"gateway\",\"imageTag\":\"v9\"}";
                    say(out, "a trigger for a namespace outside the allow-list (kube-system) is rejected, nothing is sent:");
                    report(out, publisher.publishAndAwait("/cicd/rollout/trigger", bad, Duration.ofSeconds(60)));

                    String apply = "{\"action\":\"apply\",\"k8sNamespace\":\"" + NAMESPACE + "\",\"appName\":\""
                            + APPLIED_APP + "\"}";
                    say(out, "CI asks for the recipe's first step, `kubectl apply -f " + NAMESPACE + "/" + APPLIED_APP
                            + "/`: put /cicd/deploy/trigger " + apply);
                    PublishResult applied = publisher.publishAndAwait("/cicd/deploy/trigger", apply, Duration.ofSeconds(60));
                    report(out, applied);
                    Deployment d = kube.apps().deployments().inNamespace(NAMESPACE).withName(APPLIED_APP).get();
                    say(out, d == null ? "Deployment " + APPLIED_APP + " was not created"
                            : "Deployment " + APPLIED_APP + " applied and rolled out: " + d.getStatus().getAvailableReplicas()
                            + "/" + d.getSpec().getReplicas() + " replicas available, image "
                            + d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
                    boolean applyOk = d != null && applied.status().map(st -> st.outcome().label().equals("applied")).orElse(false);
                    if (!applyOk && ok) {
                        failure = "the apply trigger was not applied";
                    }
                    ok = ok && applyOk;
                    say(out, "run logs are in " + c.runner().logDir());
                }
                say(out, "stopped the runner");
            }
            say(out, "stopped the simulated cluster and etcd");
        } finally {
            if (!keep) {
                FileTrees.deleteTree(dir);
            }
        }
        say(out, ok ? "demo passed" + (keep ? "; kept " + dir : "") : "demo FAILED: " + failure);
        out.flush();
        return ok ? ExitCodes.OK : ExitCodes.RUN_FAILED;
    }

    private void say(PrintWriter out, String s) {
        out.printf("[%2d] %s%n", ++step, s);
        out.flush();
    }

    private static void report(PrintWriter out, PublishResult r) {
        if (r.timedOut()) {
            out.println("      no outcome in time for revision " + r.revision());
        } else {
            var s = r.status().orElseThrow();
            out.println("      revision " + r.revision() + ": " + s.outcome().label() + " by watch " + s.watch()
                    + (s.reason().isEmpty() ? "" : ": " + s.reason()));
        }
        out.flush();
    }

    private static String trigger(String action, String tag) {
        return "{\"action\":\"" + action + "\",\"k8sNamespace\":\"" + NAMESPACE + "\",\"appName\":\"" + APP
                + "\",\"svcName\":\"" + SERVICE + "\",\"imageTag\":\"" + tag + "\"}";
    }

    /** The etcd and cluster of the demo, and no HTTP port (the recipe's 9464 may be taken). */
    static Map<String, String> overrides(String endpoint, Path kubeconfig) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CICD_ETCD_ENDPOINTS", endpoint);
        m.put("CICD_KUBERNETES_KUBECONFIG", kubeconfig.toString());
        m.put("CICD_RUNNER_HTTP_PORT", "0");
        return m;
    }

    /** Copies the recipe's config and manifests (examples/ in the source tree) from the jar into {@code dir}. */
    static void copyRecipe(Path dir) throws IOException {
        for (String name : RECIPE_FILES) {
            try (InputStream in = DemoCommand.class.getResourceAsStream(RECIPE + name)) {
                if (in == null) {
                    throw new IllegalStateException("the jar lacks " + RECIPE + name + " (examples/" + name + ")");
                }
                Path to = dir.resolve(name);
                Files.createDirectories(to.getParent());
                Files.copy(in, to);
            }
        }
    }

    private static String image(KubernetesClient kube) {
        return RecipeDeployment.currentImage(kube, APP).orElse("(none)");
    }
}
