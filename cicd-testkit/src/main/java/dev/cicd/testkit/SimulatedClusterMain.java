package dev.cicd.testkit;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Serves a simulated Kubernetes cluster on 127.0.0.1 until the process is stopped, for trying
 * the runner (or kubectl) without a cluster:
 *
 * <pre>
 * java -cp ... dev.cicd.testkit.SimulatedClusterMain --port 6443 --kubeconfig /tmp/sim.kubeconfig
 * kubectl --kubeconfig /tmp/sim.kubeconfig get deploy -A
 * </pre>
 *
 * Options: {@code --port N} (0, the default, picks a free port), {@code --kubeconfig PATH}
 * (default {@code ./kubeconfig-simulated}), {@code --rollout-delay-ms N} (default 200),
 * {@code --fail-after-ms N} (default 1000). Programs that want the cluster in-process use
 * {@link KubernetesFixture#builder()} with {@link KubernetesBackend#SIMULATED} instead.
 */
public final class SimulatedClusterMain {

    private SimulatedClusterMain() {
    }

    public static void main(String[] args) {
        KubernetesFixture fixture;
        try {
            fixture = start(List.of(args), System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("usage: SimulatedClusterMain [--port N] [--kubeconfig PATH]"
                    + " [--rollout-delay-ms N] [--fail-after-ms N]");
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fixture.close();
            stopped.countDown();
        }, "simulated-cluster-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parses the options, starts the cluster, prints one line with its URL and kubeconfig path. */
    static KubernetesFixture start(List<String> args, PrintStream out) {
        KubernetesFixture.Builder builder = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED);
        Path kubeconfig = Path.of("kubeconfig-simulated");
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args.get(++i);
            switch (option) {
                case "--port" -> builder.port(number(option, value));
                case "--kubeconfig" -> kubeconfig = Path.of(value);
                case "--rollout-delay-ms" -> builder.rolloutDelay(Duration.ofMillis(number(option, value)));
                case "--fail-after-ms" -> builder.failAfter(Duration.ofMillis(number(option, value)));
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        KubernetesFixture fixture = builder.kubeconfigFile(kubeconfig.toAbsolutePath()).build();
        out.println("Simulated Kubernetes API at " + fixture.apiUrl() + " - kubeconfig: " + fixture.kubeconfigFile());
        out.flush();
        return fixture;
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got " + value);
        }
    }
}
