package dev.cicd.core.internal.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * A {@code bash} started before the event it is going to run, so that the event does not wait for a
 * process start (2-3 ms of {@code exec}, dynamic linking and locale loading on a quiet machine, several
 * times that on a busy one).
 *
 * <p>The process is started with its final command line ({@code bash -eu -o pipefail PLAN}; PLAN does
 * not exist yet) and {@code BASH_ENV=/dev/stdin}. A non-interactive bash reads the file named by
 * {@code BASH_ENV} before it opens its script, so it waits there, on its standard input, until the end
 * of it. {@link #handOver} writes the plan into a new file beside PLAN, sends the event's variables as
 * {@code export} lines, renames the plan to PLAN and closes the shell's standard input: bash then runs PLAN like a fresh {@code bash PLAN}, with standard input at its end
 * as a cold start's is. If the JVM ends before the rename, bash finds no PLAN and exits (code 1)
 * without running anything; after it, the variables were complete, so the run is a complete one.
 *
 * <p>What a script can tell apart from a fresh start: the {@code CICD_*} variables are exported shell
 * variables, not in {@code /proc/$$/environ} (child processes get them as usual); {@code BASH_ARGC}
 * holds one extra element (meaningful only under {@code shopt -s extdebug}); the process is older than
 * the event ({@code SECONDS} is reset at the hand-over).
 *
 * <p>The shell's output is read into its {@link #tail} from the start, so the hand-over does not wait
 * for a reader to be started either. Nothing is written into the plan's directory before the
 * hand-over (a directory being deleted at the time must not get new files).
 */
public final class PrestartedShell {

    private static final Set<StandardOpenOption> CREATE_NEW_WRITE = Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
    private static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Process process;
    private final Path planFile;
    private final Path aside;
    private final Path directory;
    /** The file key of the shell's working directory when it started (null when unknown). */
    private final Object directoryKey;
    private final String startupEnd;
    private final OutputTail tail;
    private final Future<?> drainer;
    private final long started = System.nanoTime();

    private PrestartedShell(Process process, Path planFile, Path aside, Path directory, Object directoryKey,
            String underscore, OutputTail tail, Future<?> drainer) {
        this.process = process;
        this.planFile = planFile;
        this.aside = aside;
        this.directory = directory;
        this.directoryKey = directoryKey;
        // an assignment clears $_, the null command then sets it to what a fresh bash has
        this.startupEnd = "unset BASH_ENV\nSECONDS=0\n: " + quote(underscore) + "\n";
        this.tail = tail;
        this.drainer = drainer;
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
     * Starts {@code command} (the plan file's path already in it; the file must not exist) in
     * {@code directory} with exactly {@code environment} plus {@code BASH_ENV=/dev/stdin}, and starts
     * reading its output on {@code readers}.
     */
    public static PrestartedShell start(List<String> command, Path planFile, Path directory,
            Map<String, String> environment, int maxOutputBytes, ExecutorService readers) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(environment);
        env.put("BASH_ENV", "/dev/stdin");
        Process process = pb.start();
        OutputTail tail = new OutputTail(maxOutputBytes);
        Future<?> drainer = ProcessOutput.drain(process, tail, readers);
        // what $_ is when a fresh bash starts: the environment's _, else its command name
        String underscore = environment.getOrDefault("_", command.get(0));
        Object directoryKey = fileKey(Path.of("/proc", Long.toString(process.pid()), "cwd"));
        Path aside = planFile.resolveSibling("." + planFile.getFileName() + ".new");
        return new PrestartedShell(process, planFile, aside, directory,
                directoryKey != null ? directoryKey : fileKey(directory), underscore, tail, drainer);
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public Process process() {
        return process;
    }

    /** The output so far (read from the start). */
    public OutputTail tail() {
        return tail;
    }

    /** The task reading the output into {@link #tail}; done at the end of the output. */
    public Future<?> drainer() {
        return drainer;
    }

    /** {@link System#nanoTime()} when it was started. */
    public long started() {
        return started;
    }

    /** The script argument: where the plan is when the shell runs. */
    public Path planFile() {
        return planFile;
    }

    /**
     * Whether it still waits to be handed a plan: alive, and its working directory is still the
     * directory of that name (not deleted, nor replaced by another one), where the file system tells.
     */
    public boolean usable() {
        if (!process.isAlive()) {
            return false;
        }
        Object now = fileKey(directory);
        return directoryKey == null ? Files.isDirectory(directory) : directoryKey.equals(now);
    }

    /**
     * Lets the shell run {@code plan} with {@code variables} (valid shell names; the last value of a
     * name wins): writes the plan beside {@link #planFile}, sends the variables, renames the plan into
     * place, closes the shell's standard input.
     *
     * @return true when the shell runs the plan now; false when it could not be handed over, the shell
     *         was ended and {@link #planFile} does not exist: run the plan another way
     */
    public boolean handOver(String plan, Map<String, String> variables) {
        SeekableByteChannel ch = null;
        try {
            FileAttribute<?>[] attrs = aside.getFileSystem().supportedFileAttributeViews().contains("posix")
                    ? new FileAttribute<?>[] {OWNER_ONLY} : new FileAttribute<?>[0];
            ch = Files.newByteChannel(aside, CREATE_NEW_WRITE, attrs);
            ByteBuffer bytes = ByteBuffer.wrap(plan.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            OutputStream in = process.getOutputStream();
            in.write(startupText(variables).getBytes(StandardCharsets.UTF_8));
            in.flush();
            Files.move(aside, planFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            discard();
            return false;
        }
        // the plan is complete under its name (written: what the shell reads), the variables are sent: go
        release();
        closeQuietly(ch);
        return true;
    }

    private static void closeQuietly(SeekableByteChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // the data is written; only the descriptor is left
            }
        }
    }

    private void release() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // what was written is sent; the pipe ends with this stream at the latest
        }
    }

    /** The text the shell reads before its script: the variables, then what restores a fresh shell's state. */
    String startupText(Map<String, String> variables) {
        StringBuilder sb = new StringBuilder(512).append("export");
        for (Map.Entry<String, String> v : variables.entrySet()) {
            sb.append(' ').append(v.getKey()).append('=').append(quote(v.getValue()));
        }
        return sb.append('\n').append(startupEnd).toString();
    }

    /**
     * Ends a shell that was not handed a plan (it finds no script, or is killed first) and removes the
     * file its plan was being written into, if any.
     */
    public void discard() {
        release();
        process.destroyForcibly();
        try {
            Files.deleteIfExists(aside);
        } catch (IOException e) {
            // a stray file, never run
        }
    }

    /** {@code s} in single quotes, for bash. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
