package dev.cicd.core.internal.file;

import dev.cicd.core.internal.process.OutputTail;
import dev.cicd.core.internal.process.ProcessOutput;
import dev.cicd.core.internal.process.ProcessTree;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One {@code check_cmd} or {@code reload_cmd}: {@code sh -c COMMAND} with only the allowed environment,
 * its output collected, ended with its whole process tree when it runs past its time.
 *
 * @param name what the command is, for messages ({@code check_cmd}, {@code reload_cmd})
 */
public record Command(String name, String text) {

    private static final int MAX_OUTPUT_BYTES = 64 * 1024;
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);
    private static final Duration OUTPUT_WAIT = Duration.ofSeconds(2);
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cicd-file-command-output");
        t.setDaemon(true);
        return t;
    });

    /** How a command ended. {@code exitCode} is -1 when it did not start or ran past its time. */
    public record Result(boolean ok, int exitCode, String output, String problem) {
    }

    /**
     * Runs the command with {@code {{.src}}} (confd's spelling) and {@code {src}} replaced by {@code src}.
     *
     * @param environment the complete environment of the command
     */
    public Result run(Path src, Path workDir, Map<String, String> environment, Duration timeout) {
        String line = src == null ? text : text.replace("{{.src}}", src.toString()).replace("{src}", src.toString());
        ProcessBuilder pb = new ProcessBuilder(List.of("sh", "-c", line)).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().clear();
        pb.environment().putAll(environment);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(false, -1, "", name + " could not start: " + e.getMessage());
        }
        OutputTail tail = new OutputTail(MAX_OUTPUT_BYTES);
        Future<?> drainer = ProcessOutput.drain(p, tail, READERS);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTree.kill(p.toHandle(), KILL_GRACE);
                return new Result(false, -1, ProcessOutput.collect(drainer, tail, OUTPUT_WAIT),
                        name + " ran past its " + timeout.toMillis() + " ms and was stopped");
            }
        } catch (InterruptedException e) {
            ProcessTree.kill(p.toHandle(), KILL_GRACE);
            Thread.currentThread().interrupt();
            return new Result(false, -1, ProcessOutput.collect(drainer, tail, OUTPUT_WAIT), name + " was interrupted");
        }
        String output = ProcessOutput.collect(drainer, tail, OUTPUT_WAIT);
        int code = p.exitValue();
        return code == 0 ? new Result(true, 0, output, "")
                : new Result(false, code, output, name + " failed with exit code " + code);
    }
}
