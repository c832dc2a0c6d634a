package dev.cicd.core;

import dev.cicd.core.internal.process.EventVariables;
import dev.cicd.core.internal.process.OutputTail;
import dev.cicd.core.internal.process.PlanFiles;
import dev.cicd.core.internal.process.PrestartedShell;
import dev.cicd.core.internal.process.ProcessOutput;
import dev.cicd.core.internal.process.PrestartedShells;
import dev.cicd.core.internal.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
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
 *
 * <p><b>Prestarted shells.</b> When the command is {@code bash} with options among {@code -e -u
 * -o errexit|nounset|pipefail} and then {@code {plan}} (the default is), each run is followed by
 * starting, in the background, the {@code bash} for the next event of that watch: it waits on its
 * standard input until the event comes, so the event does not wait for a process start (see
 * {@link Builder#prestart} to turn this off). The script runs as in a fresh
 * {@code bash -eu -o pipefail PLAN}: same command line, working directory, environment, standard input
 * at its end; the differences are that the {@code CICD_*} variables are exported by the shell before
 * the script rather than in its initial environment (not in {@code /proc/PID/environ}; child processes
 * get them as usual), that the plan file's name has no revision, and that an idle {@code bash} per
 * shell watch is visible between events (at most {@code PrestartedShells.MAX_IDLE} in a JVM). The first
 * event, events running concurrently, and events whose waiting shell died or sits in a replaced
 * directory start a shell as before. An idle shell whose JVM ends exits without running anything;
 * {@link #close()} ends them at once.
 *
 * <p>The runner starts processes with {@code -Djdk.lang.Process.launchMechanism=VFORK} on JDK 17-24
 * (see {@code ProcessLaunch}), which makes a cold start about a millisecond shorter.
 */
public final class ShellAction implements Action, AutoCloseable {

    /** Default number of output bytes kept: 1 MiB. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
    /** Default time between SIGTERM and SIGKILL: 2 seconds. */
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(2);
    /** The command that runs the plan file when none is configured. */
    public static final List<String> DEFAULT_COMMAND = List.of("bash", "-eu", "-o", "pipefail", "{plan}");
    /** System property that turns prestarted shells off ({@code false}) for actions built without {@link Builder#prestart}. */
    public static final String PRESTART_PROPERTY = "cicd.shell.prestart";

    private static final Logger LOG = LoggerFactory.getLogger(ShellAction.class);
    /**
     * What a script sees of the runner's environment by default: {@code PATH HOME LANG LC_ALL TZ TMPDIR USER}.
     * Anything else (the runner's {@code CICD_ETCD_PASSWORD}, tokens) only when named with
     * {@link Builder#passEnvironment}.
     */
    public static final Set<String> BASE_ENVIRONMENT = Set.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER");

    /** How long to wait for the rest of the output after the process ended. */
    private static final Duration OUTPUT_WAIT = Duration.ofSeconds(2);
    /** Threads that read the processes' output and prestart shells; idle ones end after a minute. */
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cicd-shell-idle");
        t.setDaemon(true);
        return t;
    });

    private final List<String> command;
    private final Path workingDir;
    private final Map<String, String> env;
    private final boolean inheritEnvironment;
    private final Set<String> passEnvironment;
    private final int maxOutputBytes;
    private final Duration killGrace;
    /** Command and the environment before the event's variables (this JVM's unless not inherited, plus {@link #env}). */
    private final PrestartedShells.Spec spec;
    /** Whether runs use prestarted shells. */
    private final boolean prestart;
    private volatile boolean closed;

    private ShellAction(Builder b) {
        this.command = List.copyOf(b.command);
        this.workingDir = b.workingDir;
        this.env = Map.copyOf(b.env);
        this.inheritEnvironment = b.inheritEnvironment;
        this.passEnvironment = Set.copyOf(b.passEnvironment);
        this.maxOutputBytes = b.maxOutputBytes;
        this.killGrace = b.killGrace;
        Map<String, String> base = new HashMap<>(System.getenv());
        if (!inheritEnvironment) {
            base.keySet().retainAll(passEnvironment);
        }
        base.putAll(env);
        this.spec = new PrestartedShells.Spec(command, base, maxOutputBytes);
        boolean wanted = b.prestart != null ? b.prestart
                : !"false".equalsIgnoreCase(System.getProperty(PRESTART_PROPERTY, "true"));
        this.prestart = wanted && PrestartedShell.supports(command, spec.environment());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Never: a script's events have the watch's targets (its target expression, or the key). */
    @Override
    public boolean namesTargets() {
        return false;
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
        Path directory = workingDir != null ? workingDir : context.workDir();
        PrestartedShells.Key key = prestart && !closed && PrestartedShells.enabled()
                ? new PrestartedShells.Key(spec, context.watch().name(), context.workDir(), directory)
                : null;
        PrestartedShell shell = key != null ? PrestartedShells.take(key) : null;
        if (shell != null && shell.handOver(plan.text(), eventEnvironment(plan, shell.planFile()))) {
            try {
                return await(shell.process(), context, commandFor(shell.planFile()), shell.tail(), shell.drainer());
            } finally {
                finish(shell.planFile(), key);
            }
        }
        // no prestarted shell, or it could not take the plan (then it was ended, its plan file not made)
        Path planFile;
        try {
            planFile = PlanFiles.write(context.workDir(),
                    "plan-" + context.watch().name() + "-r" + event.modRevision() + "-", plan.text());
        } catch (IOException | RuntimeException e) {
            return ActionResult.failed("could not write the plan file into " + context.workDir() + ": " + e, "");
        }
        try {
            return run(plan, context, planFile, directory);
        } finally {
            finish(planFile, key);
        }
    }

    /** After a run: removes the plan file and prestarts the shell for the next run. */
    private void finish(Path planFile, PrestartedShells.Key key) {
        try {
            Files.deleteIfExists(planFile);
        } catch (IOException e) {
            LOG.warn("could not delete plan file {}: {}", planFile, e.toString());
        }
        if (key != null) {
            prestartNext(key);
        }
    }

    /** Ends the idle prestarted shells this action would use; later runs start cold. Idempotent. */
    @Override
    public void close() {
        closed = true;
        PrestartedShells.discard(k -> k.spec().equals(spec) && (workingDir == null || k.directory().equals(workingDir)));
    }

    /** Whether a prestarted shell waits for this action's next run in {@code context} (for tests). */
    boolean prestarted(ActionContext context) {
        Path directory = workingDir != null ? workingDir : context.workDir();
        return prestart && PrestartedShells.isIdle(
                new PrestartedShells.Key(spec, context.watch().name(), context.workDir(), directory));
    }

    /** Starts, in the background, the shell for the key's next run unless one waits already. */
    private void prestartNext(PrestartedShells.Key key) {
        try {
            WORKERS.execute(() -> {
                if (!closed) {
                    PrestartedShells.fill(key, this::commandFor, WORKERS);
                }
            });
        } catch (RejectedExecutionException e) {
            // no prestart then
        }
    }

    /** Runs the plan file in a new process. */
    private ActionResult run(Plan plan, ActionContext context, Path planFile, Path directory) {
        List<String> cmd = commandFor(planFile);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(directory.toFile()).redirectErrorStream(true);
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
        return await(process, context, cmd, tail, ProcessOutput.drain(process, tail, WORKERS));
    }

    /** Waits for the process up to the timeout (then ends its tree) and makes the result. */
    private ActionResult await(Process process, ActionContext context, List<String> cmd, OutputTail tail,
            Future<?> drainer) {
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
                String output = ProcessOutput.collect(drainer, tail, OUTPUT_WAIT);
                String what = interrupted ? "interrupted" : "timed out after " + timeout;
                LOG.warn("{} {}; terminated its process tree ({} processes)", cmd.get(0), what, signalled);
                return ActionResult.failed(what + "; terminated the process tree (" + signalled + " processes)",
                        output);
            }
            int code = process.exitValue();
            String output = ProcessOutput.collect(drainer, tail, OUTPUT_WAIT);
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
        Map<String, String> m = EventVariables.of(plan);
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

    /** Configures a {@link ShellAction}. */
    public static final class Builder {
        private List<String> command = DEFAULT_COMMAND;
        private Path workingDir;
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean inheritEnvironment;
        private final Set<String> passEnvironment = new java.util.TreeSet<>(BASE_ENVIRONMENT);
        private int maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;
        private Duration killGrace = DEFAULT_KILL_GRACE;
        private Boolean prestart;

        private Builder() {
        }

        /**
         * Whether to run plans in prestarted shells when the command allows it (see the class comment);
         * default true unless the system property {@value ShellAction#PRESTART_PROPERTY} is
         * {@code false}. Ignored for other commands, and when the environment sets {@code BASH_ENV},
         * {@code ENV}, {@code POSIXLY_CORRECT} or {@code SHELLOPTS}.
         */
        public Builder prestart(boolean prestart) {
            this.prestart = prestart;
            return this;
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
