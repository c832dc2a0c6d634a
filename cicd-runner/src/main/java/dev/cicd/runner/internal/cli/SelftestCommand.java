package dev.cicd.runner.internal.cli;

import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.wiring.Wiring;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "selftest", description = {"The recipe's self-test against a running runner: N puts of distinct "
        + "values (expect N applied and, for a kubernetes watch, N images set), then N puts of one value (expect 1 "
        + "applied and N-1 in sync); prints the counts. Exit 1 when a count is off, 4 when outcomes did not arrive."})
final class SelftestCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--times", defaultValue = "10", description = "N (default: ${DEFAULT-VALUE}).")
    int times;

    @Option(names = "--watch", paramLabel = "NAME", description = "The watch to test (default: the first).")
    String watch;

    @Option(names = "--namespace", description = "k8sNamespace of the payloads (default: the watch's first allowed namespace).")
    String namespace;

    @Option(names = "--app", defaultValue = "demo1", description = "appName of the payloads (default: ${DEFAULT-VALUE}).")
    String app;

    @Option(names = "--service", defaultValue = "gateway", description = "svcName of the payloads (default: ${DEFAULT-VALUE}).")
    String service;

    @Option(names = "--timeout", defaultValue = "3m", converter = DurationConverter.class,
            description = "How long to wait for all outcomes (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        try (Client etcd = Wiring.etcd(c.etcd(), Duration.ofSeconds(5));
             KubernetesClient kube = Wiring.needsKubernetes(c) ? Wiring.kubernetes(c.kubernetes()) : null) {
            Selftest.Result r = Selftest.run(c, etcd, kube, Optional.ofNullable(watch), times, namespace, app, service,
                    timeout, out);
            Selftest.print(r, out);
            if (r.ok()) {
                return ExitCodes.OK;
            }
            return r.timedOut() ? ExitCodes.TIMED_OUT : ExitCodes.RUN_FAILED;
        }
    }
}
