package dev.cicd.runner.internal.cli;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.WatchSpec;
import dev.cicd.k8s.KubernetesAction;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.Step;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.wiring.Wiring;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "history", description = {"Show the rollout history of a Deployment: its revisions (from the "
        + "ReplicaSets it owns), change causes and images, like kubectl rollout history."})
final class HistoryCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = {"-n", "--namespace"}, required = true, paramLabel = "NS", description = "The namespace.")
    String namespace;

    @Option(names = {"-d", "--deployment"}, required = true, paramLabel = "D", description = "The Deployment.")
    String deployment;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        Path work = Files.createTempDirectory("cicd-history-");
        try (KubernetesClient kube = Wiring.kubernetes(c.kubernetes())) {
            KubernetesAction action = KubernetesAction.builder(kube).allowedNamespaces(Set.of(namespace)).build();
            WatchSpec ws = WatchSpec.builder("history").prefix("/history").template("history").action("history").build();
            ActionResult r = action.execute(KubernetesPlan.of(new Step.RolloutHistory(namespace, deployment)),
                    new ActionContext(ws, Duration.ofSeconds(60), work));
            out.print(r.output());
            if (!r.output().endsWith("\n")) {
                out.println();
            }
            out.flush();
            if (r.kind() == Outcome.Kind.REJECTED || r.kind() == Outcome.Kind.FAILED) { // reading history is in sync
                spec.commandLine().getErr().println("cicd: " + r.reason());
                return r.kind() == Outcome.Kind.REJECTED ? ExitCodes.USAGE : ExitCodes.FAILED;
            }
            return ExitCodes.OK;
        } finally {
            Files.deleteIfExists(work);
        }
    }
}
