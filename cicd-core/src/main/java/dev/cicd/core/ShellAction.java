package dev.cicd.core;

import dev.cicd.core.internal.process.OutputTail;
import dev.cicd.core.internal.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan as a shell script: the plan text is written to a file in the action's work directory and
 * run with {@code bash -eu -o pipefail <file>}, or with a configured command in which {@code {plan}}
 * stands for that file's path (like confd's {@code reload_cmd}).
 *
 * <p>The event reaches the process only through environment variables and the plan file, never
 * through a command line: {@code CICD_WATCH}, {@code CICD_KEY}, {@code CICD_VALUE}, {@code CICD_REVISION},
 * {@code CICD_CREATE_REVISION}, {@code CICD_VERSION}, {@code CICD_EVENT_TYPE}, {@code CICD_FINGERPRINT},
 * {@code CICD_PLAN_FILE}. Values interpolated into the plan text are the template's business: quote
 * them with the {@code sh} filter.
 *
 * <p>Standard output and error are captured together; the last {@link Builder#maxOutputBytes} bytes are
 * kept. When the {@link ActionContext#timeout()} passes (or the calling thread is interrupted) the whole
 * process tree is terminated: descendants and the process get SIGTERM, and what is still alive after
 * {@link Builder#killGrace} gets SIGKILL. A process that detached itself from the tree (double fork,
 * {@code setsid}) is out of reach.
 *
 * <p>Exit code 0 gives {@link ActionResult#applied(int, String)}; any other gives
 * {@code failed("exit code N")}; a timeout gives {@code failed("timed out after PT..")}.
 */
public final class ShellAction implements Action {

    /** Default number of output bytes kept: 1 MiB. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
    /** Default time between SIGTERM and SIGKILL: 2 seconds. */
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(2);
    /** The command that runs the plan file when none is configured. */
    public static final List<String> DEFAULT_COMMAND = List.of("bash", "-eu", "-o", "pipefail", "{plan}");

    private static final Logger LOG = LoggerFactory.getLogger(ShellAction.class);
    /**
     * What a script sees of the runner's environment by default: {@code PATH HOME LANG LC_ALL TZ TMPDIR USER}.
     * Anything else (the runner's {@code CICD_ETCD_PASSWORD}, tokens) only when named with
     * {@link Builder#passEnvironment}.
     */
    public static final Set<String> BASE_ENVIRONMENT = Set.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER");

    /** Largest value passed in CICD_VALUE; Linux refuses a single environment string above 128 KiB. */
    private static final int MAX_ENV_VALUE_CHARS = 100_000;
    /** How long to wait for the rest of the output after the process ended. */
    private static final Duration OUTPUT_WAIT = Duration.ofSeconds(2);

    private final List<String> command;
    private final Path workingDir;
    private final Map<String, String> env;
    private final boolean inheritEnvironment;
    private final Set<String> passEnvironment;
    private final int maxOutputBytes;
    private final Duration killGrace;

    private ShellAction(Builder b) {
        this.command = List.copyOf(b.command);
        this.workingDir = b.workingDir;
        this.env = Map.copyOf(b.env);
        this.inheritEnvironment = b.inheritEnvironment;
        this.passEnvironment = Set.copyOf(b.passEnvironment);
        this.maxOutputBytes = b.maxOutputBytes;
        this.killGrace = b.killGrace;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The command line for a plan file: the configured command with {@code {plan}} replaced. */
    public List<String> commandFor(Path planFile) {
        String path = planFile.toAbsolutePath().toString();
        List<String> out = new ArrayList<>(command.size());
        for (String arg : command) {
            out.add(arg.replace("{plan}", path));
        }
        return out;
    }

    @Override
    public ActionResult execute(Plan plan, ActionContext context) {
        TriggerEvent event = plan.event();
        Path planFile;
        try {
            Files.createDirectories(context.workDir());
            planFile = Files.createTempFile(context.workDir(),
                    "plan-" + context.watch().name() + "-r" + event.modRevision() + "-", ".sh");
            Files.writeString(planFile, plan.text());
        } catch (IOException | RuntimeException e) {
            return ActionResult.failed("could not write the plan file into " + context.workDir() + ": " + e, "");
        }
        try {
            return run(plan, context, planFile);
        } finally {
            try {
                Files.deleteIfExists(planFile);
            } catch (IOException e) {
                LOG.warn("could not delete plan file {}: {}", planFile, e.toString());
            }
        }
    }

    private ActionResult run(Plan plan, ActionContext context, Path planFile) {
        List<String> cmd = commandFor(planFile);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory((workingDir != null ? workingDir : context.workDir()).toFile())
                .redirectErrorStream(true);
        Map<String, String> environment = pb.environment();
        if (!inheritEnvironment) {
            environment.keySet().retainAll(passEnvironment);
        }
        environment.putAll(env);
        environment.putAll(eventEnvironment(plan, planFile));

        Process process;
        try {
            process = pb.start();
        } catch (IOException | RuntimeException e) {
            return ActionResult.failed("could not start " + cmd.get(0) + ": " + e.getMessage(), "");
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // no stdin for the script either way
        }
        OutputTail tail = new OutputTail(maxOutputBytes);
        Thread drainer = new Thread(() -> tail.drain(process.getInputStream()), "cicd-shell-output-" + process.pid());
        drainer.setDaemon(true);
        drainer.start();

        Duration timeout = context.timeout();
        boolean finished;
        boolean interrupted = false;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            finished = false;
        }
        try {
            if (!finished) {
                int signalled = ProcessTree.kill(process.toHandle(), killGrace);
                awaitExit(process);
                String output = collect(drainer, tail);
                String what = interrupted ? "interrupted" : "timed out after " + timeout;
                LOG.warn("{} {}; terminated its process tree ({} processes)", cmd.get(0), what, signalled);
                return ActionResult.failed(what + "; terminated the process tree (" + signalled + " processes)",
                        output);
            }
            int code = process.exitValue();
            String output = collect(drainer, tail);
            return code == 0
                    ? ActionResult.applied(0, output)
                    : ActionResult.failed("exit code " + code, code, output);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Map<String, String> eventEnvironment(Plan plan, Path planFile) {
        TriggerEvent e = plan.event();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CICD_WATCH", e.watch());
        m.put("CICD_KEY", e.key());
        String value = e.text();
        if (value.indexOf('\0') >= 0 || value.length() > MAX_ENV_VALUE_CHARS) {
            LOG.warn("value of {} at revision {} is not passed in CICD_VALUE ({} characters{}); read it from the plan",
                    e.key(), e.modRevision(), value.length(), value.indexOf('\0') >= 0 ? ", contains NUL" : "");
            m.put("CICD_VALUE", "");
        } else {
            m.put("CICD_VALUE", value);
        }
        m.put("CICD_REVISION", Long.toString(e.modRevision()));
        m.put("CICD_CREATE_REVISION", Long.toString(e.createRevision()));
        m.put("CICD_VERSION", Long.toString(e.version()));
        m.put("CICD_EVENT_TYPE", e.type().name());
        m.put("CICD_FINGERPRINT", plan.fingerprint());
        m.put("CICD_PLAN_FILE", planFile.toAbsolutePath().toString());
        return m;
    }

    private void awaitExit(Process process) {
        try {
            if (!process.waitFor(killGrace.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                LOG.warn("process {} did not end after SIGKILL", process.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String collect(Thread drainer, OutputTail tail) {
        try {
            drainer.join(OUTPUT_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (drainer.isAlive()) {
            return tail.text() + "\n[output incomplete: a background process still holds the output open]\n";
        }
        return tail.text();
    }

    /** Configures a {@link ShellAction}. */
    public static final class Builder {
        private List<String> command = DEFAULT_COMMAND;
        private Path workingDir;
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean inheritEnvironment;
        private final Set<String> passEnvironment = new java.util.TreeSet<>(BASE_ENVIRONMENT);
        private int maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;
        private Duration killGrace = DEFAULT_KILL_GRACE;

        private Builder() {
        }

        /**
         * The command to run instead of {@code bash -eu -o pipefail {plan}}; {@code {plan}} in any
         * argument is replaced by the plan file's absolute path. No shell parses it.
         */
        public Builder command(List<String> command) {
            Objects.requireNonNull(command, "command");
            if (command.isEmpty() || command.stream().anyMatch(s -> s == null || s.isEmpty())) {
                throw new IllegalArgumentException("command must be a non-empty list of non-empty arguments, was "
                        + command);
            }
            this.command = List.copyOf(command);
            return this;
        }

        public Builder command(String... command) {
            return command(List.of(command));
        }

        /** The process's working directory; by default the action's work directory. */
        public Builder workingDir(Path workingDir) {
            this.workingDir = Objects.requireNonNull(workingDir, "workingDir");
            return this;
        }

        /** An extra environment variable (the event's {@code CICD_*} variables win over these). */
        public Builder env(String name, String value) {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable name must be non-empty without '=' or NUL, was '"
                        + name + "'");
            }
            Objects.requireNonNull(value, "value of " + name);
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            variables.forEach(this::env);
            return this;
        }

        /**
         * Whether the process inherits this JVM's whole environment (default false: only
         * {@link #BASE_ENVIRONMENT} and {@link #passEnvironment} names, so a runner's credentials in its
         * environment never reach a script).
         */
        public Builder inheritEnvironment(boolean inherit) {
            this.inheritEnvironment = inherit;
            return this;
        }

        /** Further names of this JVM's environment variables the process may see (besides the base ones). */
        public Builder passEnvironment(java.util.Collection<String> names) {
            for (String n : names) {
                if (n == null || n.isEmpty() || n.indexOf('=') >= 0) {
                    throw new IllegalArgumentException("environment variable name must be non-empty without '=', was '"
                            + n + "'");
                }
                passEnvironment.add(n);
            }
            return this;
        }

        /** How many bytes of combined output to keep (the last ones); default 1 MiB. */
        public Builder maxOutputBytes(int maxOutputBytes) {
            if (maxOutputBytes <= 0) {
                throw new IllegalArgumentException("maxOutputBytes must be > 0, was " + maxOutputBytes);
            }
            this.maxOutputBytes = maxOutputBytes;
            return this;
        }

        /** Time between SIGTERM and SIGKILL when the process tree is terminated; default 2 s. */
        public Builder killGrace(Duration killGrace) {
            Objects.requireNonNull(killGrace, "killGrace");
            if (killGrace.isNegative()) {
                throw new IllegalArgumentException("killGrace must be >= 0, was " + killGrace);
            }
            this.killGrace = killGrace;
            return this;
        }

        public ShellAction build() {
            return new ShellAction(this);
        }
    }
}
