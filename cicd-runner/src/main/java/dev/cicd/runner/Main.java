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
        Cli.configureLogging(args);
        System.exit(Cli.commandLine(args).execute(args));
    }

    /** The command line with every subcommand, exit-code mapping and error handler; for tests and embedding. */
    public static CommandLine commandLine() {
        return Cli.commandLine();
    }
}
