package dev.cicd.core.internal.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A {@code bash} started before the event it is going to run, so that the event does not wait for a
 * process start (2-3 ms of {@code exec}, dynamic linking and locale loading on a quiet machine, several
 * times that on a busy one).
 *
 * <p>The process is started with its final command line ({@code bash -eu -o pipefail PLAN}; PLAN does
 * not exist yet) and {@code BASH_ENV=/dev/stdin}. A non-interactive bash reads the file named by
 * {@code BASH_ENV} before it opens its script, so it waits there, on its standard input, until the end
 * of it. At the event the caller writes the plan aside, {@link #send}s the event's variables (as
 * {@code export} lines), renames the plan to PLAN and {@link #release}s the shell (closes its standard
 * input): bash then runs PLAN like a fresh {@code bash PLAN}, with standard input at its end as a cold
 * start's is. If the JVM ends before the rename, bash finds no PLAN and exits (code 1) without running
 * anything; after it, the variables were complete, so the run is a complete one.
 *
 * <p>What a script can tell apart from a fresh start: the {@code CICD_*} variables are exported shell
 * variables, not in {@code /proc/$$/environ} (child processes get them as usual); {@code BASH_ARGC}
 * holds one extra element (meaningful only under {@code shopt -s extdebug}); the process is older than
 * the event ({@code SECONDS} is reset at the hand-over).
 */
public final class PrestartedShell {

    private final Process process;
    private final Path planFile;
    private final Path directory;
    private final String underscore;
    private final long started = System.nanoTime();

    private PrestartedShell(Process process, Path planFile, Path directory, String underscore) {
        this.process = process;
        this.planFile = planFile;
        this.directory = directory;
        this.underscore = underscore;
    }

    /**
     * Whether a command and environment run the same with a prestarted shell: the command is
     * {@code bash}, options among {@code -e}, {@code -u}, {@code -o errexit|nounset|pipefail}, then the
     * plan file (so no {@code -x} or {@code -v}, which would show the start-up text), and nothing in the
     * environment changes how bash reads start-up files ({@code BASH_ENV}, {@code ENV},
     * {@code POSIXLY_CORRECT}, {@code SHELLOPTS}).
     */
    public static boolean supports(List<String> command, Map<String, String> environment) {
        int n = command.size();
        if (n < 2 || !command.get(0).equals("bash") || !command.get(n - 1).equals("{plan}")) {
            return false;
        }
        for (int i = 1; i < n - 1; i++) {
            String arg = command.get(i);
            if (arg.equals("-o") && i + 1 < n - 1
                    && List.of("errexit", "nounset", "pipefail").contains(command.get(i + 1))) {
                i++;
            } else if (!arg.matches("-[eu]+")) {
                return false;
            }
        }
        for (String v : List.of("BASH_ENV", "ENV", "POSIXLY_CORRECT", "SHELLOPTS")) {
            if (environment.containsKey(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Starts {@code command} (the plan file's path already in it) in {@code directory} with exactly
     * {@code environment} plus {@code BASH_ENV=/dev/stdin}. The plan file must not exist yet.
     */
    public static PrestartedShell start(List<String> command, Path planFile, Path directory,
            Map<String, String> environment) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(environment);
        env.put("BASH_ENV", "/dev/stdin");
        // what $_ is when a fresh bash starts: the environment's _, else its command name
        String underscore = environment.getOrDefault("_", command.get(0));
        return new PrestartedShell(pb.start(), planFile, directory, underscore);
    }

    public Process process() {
        return process;
    }

    /** {@link System#nanoTime()} when it was started. */
    public long started() {
        return started;
    }

    /** Where the plan must be when the shell is {@link #release}d (its script argument). */
    public Path planFile() {
        return planFile;
    }

    /**
     * Whether it still waits to be handed a plan: alive, and (where {@code /proc} tells) still in the
     * directory it was started in, not in a deleted one of the same name.
     */
    public boolean usable() {
        if (!process.isAlive()) {
            return false;
        }
        Path cwd = Path.of("/proc", Long.toString(process.pid()), "cwd");
        try {
            return Files.isSameFile(cwd, directory);
        } catch (IOException | RuntimeException e) {
            return Files.notExists(Path.of("/proc/self")) && Files.isDirectory(directory);
        }
    }

    /**
     * The text the shell reads before its script: the variables (the last value of a name wins), then
     * what restores a fresh shell's state.
     */
    String startupText(Map<String, String> variables) {
        StringBuilder sb = new StringBuilder(256);
        for (Map.Entry<String, String> v : variables.entrySet()) {
            sb.append("export ").append(v.getKey()).append('=').append(quote(v.getValue())).append('\n');
        }
        // an assignment clears $_, the null command then sets it to what a fresh bash has
        return sb.append("unset BASH_ENV\nSECONDS=0\n: ").append(quote(underscore)).append('\n').toString();
    }

    /**
     * Writes the event's variables; the shell goes on only at {@link #release}. Variable names must be
     * valid shell names.
     *
     * @return false when the shell is gone (it is then ended): start the plan another way
     */
    public boolean send(Map<String, String> variables) {
        OutputStream in = process.getOutputStream();
        try {
            in.write(startupText(variables).getBytes(StandardCharsets.UTF_8));
            in.flush();
            return true;
        } catch (IOException e) {
            discard();
            return false;
        }
    }

    /** Closes the shell's standard input: it runs its plan file now (which must be complete). */
    public void release() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // what was sent is sent; the pipe ends with this stream at the latest
        }
    }

    /**
     * Ends the shell. Call it only while the plan file does not exist (before the plan is renamed into
     * place): it may get to its script first, and then finds none.
     */
    public void discard() {
        release();
        process.destroyForcibly();
    }

    /** {@code s} in single quotes, for bash. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
