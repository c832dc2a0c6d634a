package dev.cicd.runner.internal.cli;

import dev.cicd.core.CicdException;
import dev.cicd.core.Plan;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.k8s.KubernetesAction;
import dev.cicd.k8s.KubernetesClients;
import dev.cicd.k8s.PlanPreview;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.KubernetesConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import dev.cicd.runner.internal.wiring.Wiring;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "plan", sortOptions = false,
        description = {"Render a value through a watch's template and checks without acting and without etcd (like "
                + "confd -noop): print the plan (targets, steps or script), or why it would be rejected (exit 2). "
                + "For a kubernetes watch with a reachable cluster, the live Deployments are read (GET only) and "
                + "what would change is printed: '~' a change (image OLD -> NEW), '=' in sync."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the value would run (the plan is printed)",
            "2:the value would be rejected (the reason is printed), or bad usage / config"
        })
final class PlanCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = {"-w", "--watch"}, required = true, paramLabel = "W", description = "The watch whose template and checks to use.")
    String watch;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Value value;

    static final class Value {
        @Option(names = "--json", paramLabel = "V", required = true, description = "The trigger value.")
        String json;

        @Option(names = "--value-file", paramLabel = "F", required = true, description = "A file holding the trigger value.")
        Path file;
    }

    @Option(names = {"-k", "--key"}, paramLabel = "K",
            description = "The trigger key (default: the watch's first key).")
    String key;

    @Option(names = "--no-live", description = "Do not read the cluster, even when one is configured.")
    boolean noLive;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        WatchConfig w = c.watches().stream().filter(x -> x.name().equals(watch)).findFirst().orElseThrow(() ->
                new CommandLine.ParameterException(spec.commandLine(), "--watch: no watch named '" + watch + "' in "
                        + config.file + " (watches: " + String.join(", ", c.watches().stream().map(WatchConfig::name).toList())
                        + ")"));
        WatchSpec ws = Wiring.watchSpecs(c).stream().filter(s -> s.name().equals(watch)).findFirst().orElseThrow();
        String k = key(w);
        if (!k.startsWith(w.prefix())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--key " + k + " is not below watch " + watch
                    + "'s prefix " + w.prefix());
        }
        byte[] bytes = value.json != null ? value.json.getBytes(StandardCharsets.UTF_8) : Files.readAllBytes(value.file);
        out.printf("watch %s, key %s, %d bytes; nothing is run, etcd is not read%n", watch, k, bytes.length);
        if (bytes.length > ws.maxValueBytes()) {
            return rejected(out, "value is " + bytes.length + " bytes; watch " + watch + " accepts at most "
                    + ws.maxValueBytes() + " (watches[].maxValueBytes)");
        }
        TriggerEvent event = new TriggerEvent(watch, k, bytes, dev.cicd.core.EventType.PUT, 1, 1, 1);
        Plan plan;
        try {
            if (ws.verify().isPresent()) {
                event = ws.verify().get().verify(event, Instant.now());
            }
            TreeMap<String, String> keys = new TreeMap<>();
            keys.put(k.substring(w.prefix().length()), event.text());
            PebbleRenderer renderer = Wiring.renderer(c);
            plan = renderer.render(ws, event, keys);
        } catch (CicdException e) {
            if (e.code() == CicdException.Code.BAD_PAYLOAD || e.code() == CicdException.Code.INVALID_FIELD) {
                return rejected(out, e.getMessage());
            }
            throw e;
        }
        if (w.action().isKubernetes()) {
            return kubernetes(out, c, w, plan);
        }
        out.printf("targets: %s%n", String.join(", ", plan.targets()));
        out.printf("fingerprint: %s%n", plan.fingerprint());
        out.println("script (shell " + String.join(" ", w.action().shell().command()) + "):");
        out.println(indent(plan.text()));
        out.flush();
        return ExitCodes.OK;
    }

    private int kubernetes(PrintWriter out, RunnerConfig c, WatchConfig w, Plan plan) {
        boolean live = !noLive && clusterConfigured(c.kubernetes());
        KubernetesClient kube;
        Optional<String> unusable = Optional.empty();
        try {
            kube = live ? Wiring.kubernetes(c.kubernetes()) : offline();
        } catch (ConfigException e) {
            unusable = Optional.of(e.getMessage());
            kube = offline();
            live = false;
        }
        try (KubernetesClient k = kube) {
            KubernetesAction action = Wiring.kubernetesAction(k, w);
            List<String> targets;
            try {
                targets = new ArrayList<>(action.targets(plan));
            } catch (CicdException e) {
                return rejected(out, e.getMessage());
            }
            PlanPreview p = action.preview(plan, live);
            if (p.rejection().isPresent()) {
                return rejected(out, p.rejection().get());
            }
            out.printf("targets: %s%n", String.join(", ", targets));
            out.println("plan:");
            out.println(indent(plan.text()));
            out.println(p.liveState().isEmpty() ? "against the live cluster:" : "steps (live state not read: "
                    + unusable.orElse(p.liveState().get()) + "):");
            p.changes().forEach(out::println);
            if (p.inSync()) {
                out.println("in sync: nothing would change");
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    private static KubernetesClient offline() {
        return KubernetesClients.builder().url("https://127.0.0.1:1").build();
    }

    /** A cluster is configured when the config names one, or KUBECONFIG or ~/.kube/config exists. */
    private static boolean clusterConfigured(KubernetesConfig k) {
        if (!k.kubeconfig().isEmpty() || !k.url().isEmpty() || Boolean.TRUE.equals(k.inCluster())) {
            return true;
        }
        String env = System.getenv("KUBECONFIG");
        return env != null && !env.isBlank() || Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    private String key(WatchConfig w) {
        if (key != null) {
            return key;
        }
        List<String> keys = w.fullKeys();
        if (keys.isEmpty() || keys.get(0).endsWith("/")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "watch " + watch
                    + " watches every key below its prefix: give --key K");
        }
        return keys.get(0);
    }

    private static int rejected(PrintWriter out, String reason) {
        out.println("rejected: " + reason);
        out.flush();
        return ExitCodes.USAGE;
    }

    private static String indent(String text) {
        return text.strip().lines().map(l -> "  " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
