package dev.cicd.runner.internal.cli;

import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.logging.LogSetup;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code -c FILE}, defaulting to the environment variable {@code CICD_CONFIG}. */
final class ConfigOption {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:CICD_CONFIG}",
            description = "The config file (default: the environment variable CICD_CONFIG).")
    Path file;

    /** Loads the config, with the environment's CICD_* overrides. */
    RunnerConfig load(CommandLine cmd) {
        if (file == null) {
            throw new CommandLine.ParameterException(cmd, "Missing the config file: give -c FILE or set CICD_CONFIG");
        }
        RunnerConfig config = EarlyConfig.take(file).orElseGet(() -> RunnerConfig.load(file));
        // the config's log format, unless --log-format was given
        Object root = cmd.getCommandSpec().root().userObject();
        if (!(root instanceof CicdCommand c && c.logFormat() != null)) {
            LogSetup.format(config.runner().logFormat());
        }
        return config;
    }
}
