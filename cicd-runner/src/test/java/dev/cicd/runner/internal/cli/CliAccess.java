package dev.cicd.runner.internal.cli;

/** Test access to package-private parts of the command line. */
public final class CliAccess {

    private CliAccess() {
    }

    public static int verbosity(String... args) {
        return Cli.verbosity(args);
    }
}
