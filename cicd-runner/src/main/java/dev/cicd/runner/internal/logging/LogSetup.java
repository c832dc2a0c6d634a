package dev.cicd.runner.internal.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.cicd.runner.RunnerSettings.LogFormat;
import java.util.Objects;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.SubstituteLoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The runner's log output on Logback: one console appender on stderr (stdout is for command output),
 * {@code text} ({@link TextLineEncoder}) or {@code json} ({@link JsonLineEncoder}) lines, the runner's own loggers ({@code dev.cicd})
 * at one level and every library at another; java.util.logging (gRPC, the simulated cluster's mock
 * server) routed through SLF4J with its levels kept in step ({@link LevelChangePropagator}).
 *
 * <p>A Logback configuration file given with {@code -Dlogback.configurationFile=FILE} replaces all of
 * this: the runner then leaves the setup to it.
 */
public final class LogSetup {

    /** The runner's own loggers. */
    public static final String OWN = "dev.cicd";

    /**
     * What to log and how.
     *
     * @param format text or json
     * @param own    level of the runner's loggers ({@code dev.cicd})
     * @param others level of every other logger
     */
    public record Settings(LogFormat format, Level own, Level others) {
        /** The defaults: text, info for the runner, warn for libraries. */
        public static final Settings DEFAULT = new Settings(LogFormat.TEXT, Level.INFO, Level.WARN);

        public Settings {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(own, "own");
            Objects.requireNonNull(others, "others");
        }

        public Settings withFormat(LogFormat f) {
            return new Settings(f, own, others);
        }
    }

    private static volatile Settings current = Settings.DEFAULT;
    /** What the service-loaded configurator installs when Logback starts inside {@link #configure}. */
    private static volatile Settings first = Settings.DEFAULT;
    private static volatile boolean installed;
    /** Whether java.util.logging goes to SLF4J (set once by {@link #routeJul}). */
    private static volatile boolean julRouted;

    private LogSetup() {
    }

    /** Whether a Logback configuration file was given ({@code -Dlogback.configurationFile}); it then rules alone. */
    public static boolean external() {
        return System.getProperty("logback.configurationFile") != null;
    }

    /** The settings in force. */
    public static Settings current() {
        return current;
    }

    /**
     * Configures the runner's logging (unless {@link #external()}) and routes java.util.logging to SLF4J.
     * Called by {@code Main} before any command runs, and again when a config file changes the format.
     */
    public static synchronized void configure(Settings settings) {
        if (external()) {
            return;
        }
        first = settings;   // Logback's first start (in getILoggerFactory) installs these
        LoggerContext ctx = loggerContext();
        if (!installed || !current.equals(settings)) {
            install(ctx, settings);
        }
    }

    /**
     * Sets what Logback installs when it starts, before threads that may start it (through a class with a
     * logger) run; {@link #configure} with the same settings then has nothing left to do.
     */
    public static void expect(Settings settings) {
        first = settings;
    }

    /**
     * SLF4J's logger factory, starting SLF4J when no thread has yet, whatever its provider. While another
     * thread is starting SLF4J, SLF4J hands out a substitute factory (and later replays what was logged through
     * it, with a warning on stderr): this waits (up to 10 s) for the start to finish instead. A thread about to
     * initialize library classes that log calls it first.
     */
    public static ILoggerFactory awaitStarted() {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            ILoggerFactory f = LoggerFactory.getILoggerFactory();
            if (!(f instanceof SubstituteLoggerFactory) || System.nanoTime() - deadline > 0) {
                return f;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while SLF4J was starting", e);
            }
        }
    }

    /** Logback's context ({@link #awaitStarted}); the runner's own output needs Logback as SLF4J's provider. */
    static LoggerContext loggerContext() {
        ILoggerFactory f = awaitStarted();
        if (f instanceof LoggerContext ctx) {
            return ctx;
        }
        throw new IllegalStateException("SLF4J did not start with Logback (its factory is " + f.getClass().getName()
                + "): is another SLF4J provider on the class path?");
    }

    /**
     * Routes java.util.logging (gRPC, Vert.x, the simulated cluster's mock server) through SLF4J, its levels
     * kept in step with Logback's. Called before a command starts a library that logs that way, not at
     * every start: setting up java.util.logging costs ~30 ms, which a {@code trigger} over the JSON
     * gateway does without. Idempotent.
     */
    public static synchronized void routeJul() {
        if (!julRouted) {
            julRouted = true;
            if (!external()) {
                propagateLevels(loggerContext());
            }
        }
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    private static void propagateLevels(LoggerContext ctx) {
        LevelChangePropagator jul = new LevelChangePropagator();
        jul.setContext(ctx);
        jul.setResetJUL(true);
        jul.start();
        ctx.addListener(jul);
    }

    /** Switches the format, keeping the levels. */
    public static synchronized void format(LogFormat format) {
        if (current.format() != format) {
            configure(current.withFormat(format));
        }
    }

    /** The settings Logback's own start-up installs (the defaults unless {@link #configure} is starting it). */
    static Settings first() {
        return first;
    }

    /**
     * Installs the appender and levels in {@code ctx}: from {@link #configure} (under its lock) or from the
     * service-loaded configurator while SLF4J starts (serialized by SLF4J). Not synchronized itself, so a
     * thread starting SLF4J never waits here for a {@link #configure} that waits for SLF4J.
     */
    static void install(LoggerContext ctx, Settings settings) {
        ctx.reset();
        if (julRouted) {
            propagateLevels(ctx);
        }

        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(ctx);
        appender.setName("stderr");
        appender.setTarget("System.err");
        appender.setEncoder(encoder(ctx, settings.format()));
        appender.start();

        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(settings.others());
        root.addAppender(appender);
        ctx.getLogger(OWN).setLevel(settings.own());
        current = settings;
        installed = true;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext ctx, LogFormat format) {
        Encoder<ILoggingEvent> e = format == LogFormat.JSON ? new JsonLineEncoder() : new TextLineEncoder();
        e.setContext(ctx);
        e.start();
        return e;
    }
}
