package dev.cicd.runner.internal.cli;

import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.Runner;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What {@code cicd demo} does: a local etcd, a simulated cluster, the runner in this process, the recipe's
 * triggers, each step printed. Uses the testkit; only {@link DemoCommand} refers to it, after checking that
 * the demo's libraries are on the class path.
 */
final class Demo {

    static final String NAMESPACE = "ns-demo1-dev";
    static final String APP = "demo1";
    static final String SERVICE = "gateway";
    static final String REGISTRY = "registry.example.com/ns-demo";
    /** The app of the apply trigger: its manifests are {@code <manifestRoot>/NAMESPACE/APPLIED_APP/}. */
    static final String APPLIED_APP = "demoproject";

    private final PrintWriter out;
    private final int times;
    private final boolean keep;

    Demo(PrintWriter out, int times, boolean keep) {
        this.out = out;
        this.times = times;
        this.keep = keep;
    }

    private int step;

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
                createDeployment(kube);
                say(out, "created Deployment " + APP + "-" + SERVICE + " in " + NAMESPACE + " with image " + image(kube));

                Path manifests = writeManifests(dir.resolve("manifests"));
                say(out, "wrote the manifests of " + APPLIED_APP + " to " + manifests + " (like examples/manifests)");

                Path config = dir.resolve("cicd.yaml");
                Files.writeString(config, config(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile(), dir.resolve("logs"),
                        dir.resolve("manifests")));
                say(out, "wrote the recipe's config to " + config + ":");
                Files.readString(config).lines().forEach(l -> out.println("      " + l));
                RunnerConfig c = RunnerConfig.load(config, Map.of());

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
                delete(dir);
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

    static String config(String endpoint, Path kubeconfig, Path logDir, Path manifestRoot) {
        return """
                # The recipe's three triggers, on the built-in templates (see examples/recipe.yaml).
                etcd:
                  endpoints: [%s]
                kubernetes:
                  kubeconfig: %s
                registry: %s
                runner:
                  group: demo
                  logDir: %s
                  electionTtl: 5s
                watches:
                  - name: rollout
                    prefix: /cicd/rollout
                    keys: [/trigger]
                    template: builtin:k8s-rollout
                    action: kubernetes
                    timeout: 2m
                    allowedNamespaces: [%s]
                  - name: undo
                    prefix: /cicd/undo
                    keys: [/trigger]
                    template: builtin:k8s-undo
                    action: kubernetes
                    timeout: 2m
                    allowedNamespaces: [%s]
                  - name: deploy
                    prefix: /cicd/deploy
                    keys: [/trigger]
                    template: builtin:k8s-apply
                    action: kubernetes
                    timeout: 2m
                    manifestRoot: %s
                    allowedNamespaces: [%s]
                """.formatted(endpoint, kubeconfig, REGISTRY, logDir, NAMESPACE, NAMESPACE, manifestRoot, NAMESPACE);
    }

    /** The manifests of {@link #APPLIED_APP} below {@code root} (as in examples/manifests, with the demo's registry). */
    static Path writeManifests(Path root) throws IOException {
        Path app = Files.createDirectories(root.resolve(NAMESPACE).resolve(APPLIED_APP));
        Files.writeString(app.resolve("deployment.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %1$s
                  labels: {app: %1$s}
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: %1$s}
                  template:
                    metadata:
                      labels: {app: %1$s}
                    spec:
                      containers:
                        - name: %1$s
                          image: %2$s/%1$s:v1
                          ports:
                            - containerPort: 8080
                """.formatted(APPLIED_APP, REGISTRY));
        Files.writeString(app.resolve("service.yaml"), """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %1$s
                  labels: {app: %1$s}
                spec:
                  selector: {app: %1$s}
                  ports:
                    - port: 80
                      targetPort: 8080
                """.formatted(APPLIED_APP));
        return app;
    }

    static void createDeployment(KubernetesClient kube) {
        kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .create();
        Deployment d = new DeploymentBuilder()
                .withNewMetadata().withName(APP + "-" + SERVICE).withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withReplicas(2)
                .withNewSelector().addToMatchLabels("app", APP + "-" + SERVICE).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", APP + "-" + SERVICE).endMetadata()
                .withNewSpec().addNewContainer().withName(SERVICE).withImage(REGISTRY + "/" + APP + "-" + SERVICE + ":v0")
                .endContainer().endSpec()
                .endTemplate().endSpec().build();
        kube.apps().deployments().inNamespace(NAMESPACE).resource(d).create();
    }

    private static String image(KubernetesClient kube) {
        Deployment d = kube.apps().deployments().inNamespace(NAMESPACE).withName(APP + "-" + SERVICE).get();
        return d == null ? "(none)" : d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
