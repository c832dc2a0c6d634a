package dev.cicd.runner.internal.cli;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.WatchSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.k8s.DeploymentHistory;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = {"-n", "--namespace"}, required = true, paramLabel = "NS", description = "The namespace.")
    String namespace;

    @Option(names = {"-d", "--deployment"}, required = true, paramLabel = "D", description = "The Deployment.")
    String deployment;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json: one JSON object {deployment, current, revisions: [{revision, changeCause, "
                    + "images, replicaSet}]} (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        if (output == OutputFormat.JSON) {
            try (KubernetesClient kube = Wiring.kubernetes(c.kubernetes())) {
                DeploymentHistory h = KubernetesAction.builder(kube).allowedNamespaces(Set.of(namespace)).build()
                        .history(namespace, deployment);
                ObjectNode n = JSON.createObjectNode();
                n.put("deployment", h.namespace() + "/" + h.deployment());
                if (h.current().isPresent()) {
                    n.put("current", h.current().getAsLong());
                } else {
                    n.putNull("current");
                }
                ArrayNode revs = n.putArray("revisions");
                for (DeploymentHistory.Revision r : h.revisions()) {
                    ObjectNode o = revs.addObject();
                    o.put("revision", r.number());
                    o.put("changeCause", r.changeCause());
                    ObjectNode images = o.putObject("images");
                    r.images().forEach(images::put);
                    o.put("replicaSet", r.replicaSet());
                }
                out.println(n);
                out.flush();
                return ExitCodes.OK;
            }
        }
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
