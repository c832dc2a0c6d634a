package dev.cicd.runner.internal.cli;

import dev.cicd.core.Outcome;
import dev.cicd.core.Pipeline;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.Runner;
import dev.cicd.runner.RunnerConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "once", description = {"Process what is new on the watched keys once (their current values, and "
        + "every change since the last checkpoint), then exit: 0 when all applied or in sync, 1 when any failed "
        + "or was rejected."})
final class OnceCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = "--timeout", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long to wait for the leadership and the outcomes (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        try (Runner runner = Runner.start(c)) {
            runner.awaitClients(timeout);
            if (!runner.awaitWatching(timeout)) {
                throw new IllegalStateException("did not become the leader of group " + c.runner().group() + " within "
                        + timeout + "; is another runner of the group running?");
            }
            if (!runner.awaitCaughtUp(timeout)) {
                out.println("timed out after " + timeout + " before every watched key had an outcome");
                out.flush();
                return ExitCodes.TIMED_OUT;
            }
            boolean failed = false;
            out.printf("%-20s %8s %8s %8s %8s %8s %10s%n", "WATCH", "EVENTS", "APPLIED", "IN-SYNC", "REJECTED", "FAILED", "REVISION");
            for (Map.Entry<String, Pipeline.WatchStats> e : runner.stats().entrySet()) {
                Pipeline.WatchStats s = e.getValue();
                out.printf("%-20s %8d %8d %8d %8d %8d %10d%n", e.getKey(), s.completed(), s.count(Outcome.Kind.APPLIED),
                        s.count(Outcome.Kind.IN_SYNC), s.count(Outcome.Kind.REJECTED), s.count(Outcome.Kind.FAILED),
                        s.lastRevision());
                failed |= s.count(Outcome.Kind.REJECTED) + s.count(Outcome.Kind.FAILED) > 0 || s.halted();
            }
            out.flush();
            return failed ? ExitCodes.RUN_FAILED : ExitCodes.OK;
        }
    }
}
