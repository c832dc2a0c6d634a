package dev.cicd.runner;

import dev.cicd.core.internal.process.ProcessLaunch;
import dev.cicd.runner.internal.cli.Cli;
import picocli.CommandLine;

/**
 * The {@code cicd} command: {@code java -jar cicd.jar <command> ...}. The only place that calls
 * {@link System#exit}.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // before anything starts a process: shell actions start ~1 ms sooner (see ProcessLaunch)
        ProcessLaunch.preferVfork();
        startupDefaults();
        Cli.startEarly(args);
        Cli.configureLogging(args);
        System.exit(Cli.commandLine(args).execute(args));
    }

    /**
     * System properties that shorten the start-up, unless set otherwise on the command line: Netty's JFR
     * allocation events off (registering them costs ~0.1 s on the etcd client's first connection;
     * {@code -Dio.netty.jfr.enabled=true} turns them back on).
     */
    static void startupDefaults() {
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
    }

    /** The command line with every subcommand, exit-code mapping and error handler; for tests and embedding. */
    public static CommandLine commandLine() {
        return Cli.commandLine();
    }
}
