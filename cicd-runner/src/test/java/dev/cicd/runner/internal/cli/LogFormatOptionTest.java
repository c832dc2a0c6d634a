package dev.cicd.runner.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import dev.cicd.runner.RunnerSettings.LogFormat;
import dev.cicd.runner.internal.logging.LogSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Where the log format comes from: --log-format wins over runner.logFormat (and its CICD_RUNNER_LOG_FORMAT). */
class LogFormatOptionTest {

    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        LogSetup.configure(LogSetup.Settings.DEFAULT);
    }

    @Test
    void theLogSettingsComeFromTheArgumentsThenTheEnvironment() {
        assertEquals(LogSetup.Settings.DEFAULT, Cli.logSettings(new String[] {"run", "-c", "x"}, Map.of()));
        assertEquals(LogFormat.JSON, Cli.logSettings(new String[] {"--log-format", "json", "run"}, Map.of()).format());
        assertEquals(LogFormat.JSON, Cli.logSettings(new String[] {"run", "--log-format=JSON"}, Map.of()).format());
        assertEquals(LogFormat.JSON, Cli.logSettings(new String[] {"run"}, Map.of("CICD_RUNNER_LOG_FORMAT", "json")).format());
        assertEquals(LogFormat.TEXT, Cli.logSettings(new String[] {"run", "--log-format", "text"},
                Map.of("CICD_RUNNER_LOG_FORMAT", "json")).format());
        assertEquals(Optional.empty(), Cli.logFormatArgument(new String[] {"run", "--", "--log-format", "json"}));
        assertEquals(new LogSetup.Settings(LogFormat.TEXT, Level.DEBUG, Level.INFO), Cli.logSettings(new String[] {"run", "-v"}, Map.of()));
        assertEquals(new LogSetup.Settings(LogFormat.TEXT, Level.TRACE, Level.DEBUG), Cli.logSettings(new String[] {"-vv", "run"}, Map.of()));
        assertEquals(new LogSetup.Settings(LogFormat.TEXT, Level.WARN, Level.WARN), Cli.logSettings(new String[] {"demo"}, Map.of()));
    }

    private CommandLine sub(CommandLine root, String... args) {
        return root.parseArgs(args).subcommand().commandSpec().commandLine();
    }

    @Test
    void aConfigFilesLogFormatAppliesUnlessTheCommandLineGaveOne() throws Exception {
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, """
                etcd: {endpoints: ["http://127.0.0.1:2379"]}
                runner: {logFormat: json}
                watches:
                  - {name: deploy, prefix: /cicd/x, keys: [/trigger], template: t.peb, action: shell}
                """);
        Files.writeString(dir.resolve("t.peb"), "echo\n");

        CommandLine root = Cli.commandLine();
        CommandLine history = sub(root, "history", "-c", f.toString(), "-n", "ns", "-d", "d");
        ((HistoryCommand) history.getCommand()).config.load(history);
        assertEquals(LogFormat.JSON, LogSetup.current().format(), "runner.logFormat: json");

        LogSetup.configure(LogSetup.Settings.DEFAULT);
        CommandLine root2 = Cli.commandLine();
        CommandLine given = sub(root2, "history", "--log-format", "text", "-c", f.toString(), "-n", "ns", "-d", "d");
        ((HistoryCommand) given.getCommand()).config.load(given);
        assertEquals(LogFormat.TEXT, LogSetup.current().format(), "--log-format text wins over the config");
    }
}
