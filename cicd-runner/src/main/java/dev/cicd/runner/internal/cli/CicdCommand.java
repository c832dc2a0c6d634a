package dev.cicd.runner.internal.cli;

import dev.cicd.runner.RunnerSettings.LogFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top command: prints help when called without a subcommand. */
@Command(name = "cicd",
        mixinStandardHelpOptions = true,
        versionProvider = CicdCommand.Version.class,
        sortOptions = false,
        description = {"Turn a value written to an etcd key into a verified deployment on Kubernetes.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success: applied or in sync; the daemon stopped cleanly",
            "1:some run failed (once, selftest: a count is off)",
            "2:bad usage, bad config, or the trigger was rejected",
            "3:the action failed",
            "4:timed out waiting for the outcome",
            "5:infrastructure: etcd unreachable, auth refused or timed out; no runner of the group alive",
            "6:superseded: coalescing ran a newer value of the same target instead"
        },
        footer = {"", "Environment: CICD_CONFIG is the default of -c; CICD_<SECTION>_<KEY> overrides a config key "
                + "(e.g. CICD_ETCD_ENDPOINTS, CICD_WATCHES_ROLLOUT_ALLOWED_NAMESPACES)."})
public final class CicdCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    private int verbosity;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "More log output and stack traces on errors; -vv for even more.")
    void verbose(boolean[] flags) {
        verbosity = flags.length;
    }

    int verbosity() {
        return verbosity;
    }

    private LogFormat logFormat;

    @Option(names = "--log-format", scope = ScopeType.INHERIT, paramLabel = "FORMAT",
            description = "The log on stderr: text (default) or json, one JSON object per line. Wins over the "
                    + "config's runner.logFormat.")
    void logFormat(LogFormat format) {
        logFormat = format;
    }

    /** The {@code --log-format} given, or null. */
    LogFormat logFormat() {
        return logFormat;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Reads the version from the jar. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cicd " + Cli.version(), "Java " + System.getProperty("java.version")};
        }
    }
}
