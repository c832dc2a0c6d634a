package dev.cicd.runner.internal.cli;

import dev.cicd.core.CicdException;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.ExitCodes;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;

/** Builds the {@code cicd} command line: subcommands, exit codes, error printing, log levels. */
public final class Cli {

    private Cli() {
    }

    /** The configured command line. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new CicdCommand());
        cl.setExecutionExceptionHandler(Cli::handle);
        cl.setExitCodeExceptionMapper(Cli::exitCode);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /**
     * Sets slf4j-simple's levels from {@code -v} / {@code -vv} before the first logger exists. Default:
     * info for the runner's own messages, warn for libraries; {@code -v}: debug and info; {@code -vv}:
     * trace and debug. {@code demo} prints its own steps and keeps the runner's log to warnings unless
     * {@code -v} is given. System properties given on the java command line win.
     */
    public static void configureLogging(String[] args) {
        int v = verbosity(args);
        boolean demo = java.util.Arrays.asList(args).contains("demo");
        String own = v >= 2 ? "trace" : v == 1 ? "debug" : demo ? "warn" : null;
        String others = v >= 2 ? "debug" : v == 1 ? "info" : null;
        // gRPC (under jetcd) logs through java.util.logging; keep it to warnings unless -vv
        java.util.logging.Logger.getLogger("").setLevel(v >= 2 ? java.util.logging.Level.FINE : java.util.logging.Level.WARNING);
        if (own != null) {
            System.setProperty("org.slf4j.simpleLogger.log.dev.cicd", System.getProperty("org.slf4j.simpleLogger.log.dev.cicd", own));
            if (others != null) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", others));
            }
        }
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
