package dev.cicd.runner.internal.cli;

import dev.cicd.core.CicdException;
import dev.cicd.runner.ConfigException;
import ch.qos.logback.classic.Level;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.RunnerSettings.LogFormat;
import dev.cicd.runner.internal.logging.LogSetup;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Builds the {@code cicd} command line: subcommands, exit codes, error printing, log levels. */
public final class Cli {

    private Cli() {
    }

    /** The subcommands by name, in the order help lists them; each made only when added. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("run", RunCommand::new);
        m.put("once", OnceCommand::new);
        m.put("trigger", TriggerCommand::new);
        m.put("status", StatusCommand::new);
        m.put("history", HistoryCommand::new);
        m.put("selftest", SelftestCommand::new);
        m.put("demo", DemoCommand::new);
        m.put("import-confd", ImportConfdCommand::new);
        m.put("plan", PlanCommand::new);
        m.put("completion", CompletionCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return m;
    }

    /** The configured command line with every subcommand. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line for {@code args}: when they name a subcommand, only that one is built (picocli reflects
     * over every option of every command it is given, ~0.1 s for all of them at start-up); else all of them.
     */
    public static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new CicdCommand());
        Optional<String> only = args == null ? Optional.empty() : subcommand(args);
        SUBCOMMANDS.forEach((name, make) -> {
            if (only.isEmpty() || only.get().equals(name)) {
                cl.addSubcommand(name, make.get());
            }
        });
        cl.setExecutionExceptionHandler(Cli::handle);
        cl.setExitCodeExceptionMapper(Cli::exitCode);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /**
     * What the daemon's commands ({@code run}, {@code once}) start before logging is set up, on a thread of its
     * own: reading the config, then connecting to etcd ({@link EarlyConfig}). Logging's settings are fixed
     * first, so whichever thread starts Logback installs them.
     */
    public static void startEarly(String[] args) {
        LogSetup.expect(logSettings(args, System.getenv()));
        if (subcommand(args).filter(c -> c.equals("run") || c.equals("once")).isPresent()) {
            EarlyConfig.start(args, System.getenv());
        }
    }

    /**
     * Configures the log output before the first command runs ({@link LogSetup}): levels from {@code -v} /
     * {@code -vv}, the format from {@code --log-format} (else the environment's
     * {@code CICD_RUNNER_LOG_FORMAT}; a config file's {@code runner.logFormat} applies when the command
     * loads it). Default: info for the runner's own messages, warn for libraries; {@code -v}: debug and
     * info; {@code -vv}: trace and debug. {@code demo} prints its own steps and keeps the runner's log to
     * warnings unless {@code -v} is given.
     */
    public static void configureLogging(String[] args) {
        LogSetup.configure(logSettings(args, System.getenv()));
        if (!subcommand(args).equals(Optional.of("trigger"))) {
            LogSetup.routeJul();   // trigger does it only when it falls back to gRPC
        }
    }

    /** The log settings the arguments and environment ask for. */
    static LogSetup.Settings logSettings(String[] args, Map<String, String> env) {
        int v = verbosity(args);
        boolean demo = java.util.Arrays.asList(args).contains("demo");
        Level own = v >= 2 ? Level.TRACE : v == 1 ? Level.DEBUG : demo ? Level.WARN : Level.INFO;
        Level others = v >= 2 ? Level.DEBUG : v == 1 ? Level.INFO : Level.WARN;
        LogFormat format = logFormatArgument(args).orElse(null);
        if (format == null) {
            try {
                format = LogFormat.parse(env.getOrDefault("CICD_RUNNER_LOG_FORMAT", "text"));
            } catch (IllegalArgumentException e) {
                format = LogFormat.TEXT;   // the config loader reports the bad value
            }
        }
        return new LogSetup.Settings(format, own, others);
    }

    /**
     * The subcommand {@code args} name: the first argument that is not a top-level option (nor the value of
     * {@code --log-format}), when it is one of ours; empty otherwise (help, a typo: everything is built).
     */
    public static Optional<String> subcommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--log-format")) {
                i++;
            } else if (!a.startsWith("-")) {
                return SUBCOMMANDS.containsKey(a) && !a.equals("help") ? Optional.of(a) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The value of {@code --log-format} before a {@code --}, when given and valid (picocli reports a bad one). */
    static Optional<LogFormat> logFormatArgument(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            String value = null;
            if (a.equals("--log-format") && i + 1 < args.length) {
                value = args[i + 1];
            } else if (a.startsWith("--log-format=")) {
                value = a.substring("--log-format=".length());
            }
            if (value != null) {
                try {
                    return Optional.of(LogFormat.parse(value));
                } catch (IllegalArgumentException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** How many {@code -v} were given before a {@code --} (counting {@code -vv} as two). */
    static int verbosity(String[] args) {
        int v = 0;
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (a.equals("--verbose")) {
                v++;
            } else if (a.matches("-v+")) {
                v += a.length() - 1;
            }
        }
        return v;
    }

    static int exitCode(Throwable t) {
        if (t instanceof CommandLine.ParameterException) {
            return ExitCodes.USAGE;
        }
        if (t instanceof ConfigException) {
            return ExitCodes.USAGE;
        }
        if (t instanceof CicdException c) {
            return switch (c.code()) {
                case CONFIG, INVALID_FIELD, BAD_PAYLOAD, TEMPLATE -> ExitCodes.USAGE;
                case SOURCE -> ExitCodes.INFRA;
                default -> ExitCodes.FAILED;
            };
        }
        if (t instanceof IllegalArgumentException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.FAILED;
    }

    private static int handle(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText("cicd: " + oneLine(ex)));
        if (verbose(cmd)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return exitCode(ex);
    }

    static boolean verbose(CommandLine cmd) {
        Object root = cmd.getCommandSpec().root().userObject();
        return root instanceof CicdCommand c && c.verbosity() > 0;
    }

    /** The message on one line; the exception's class when it has no message of its own. */
    public static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (t instanceof CicdException || t instanceof IllegalArgumentException && m != null) {
            return flatten(m);
        }
        String s = m == null || m.isBlank() ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m;
        return flatten(s);
    }

    private static String flatten(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** The version from the jar's resources. */
    public static String version() {
        try (InputStream in = Cli.class.getResourceAsStream("/dev/cicd/runner/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "development" : v;
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
