package dev.cicd.runner.internal.cli;

import dev.cicd.runner.Runner;
import dev.cicd.runner.RunnerConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "run", description = {"Run the runner (the daemon): watch the triggers and act on them until "
        + "SIGTERM or SIGINT, which stop it gracefully (in-flight actions finish or time out, checkpoints are written)."})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws InterruptedException {
        RunnerConfig c = config.load(spec.commandLine());
        Runner runner = Runner.start(c);
        try {
            runner.awaitClients(java.time.Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            runner.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                runner.close();
            } finally {
                stopped.countDown();
            }
        }, "cicd-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        return 0;
    }
}
