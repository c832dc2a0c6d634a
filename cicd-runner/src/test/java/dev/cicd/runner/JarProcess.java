package dev.cicd.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged jar ({@code target/cicd.jar}) started as a separate process, as users run it. */
final class JarProcess implements AutoCloseable {

    /** What a finished command printed. */
    record Finished(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("cicd.jar", "target/cicd.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run the *IT tests with `mvn verify`");
        }
        return jar;
    }

    private static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code java -jar cicd.jar args...}; stdout and stderr go to {@code log}. */
    static JarProcess start(Path log, Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(List.of(args)));
        pb.environment().keySet().removeIf(k -> k.startsWith("CICD_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return new JarProcess(pb.start(), log);
    }

    /** Starts {@code java -jar cicd.jar args...} with stdout to {@code out} and stderr (the log) to {@code err}. */
    static JarProcess start(Path out, Path err, Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(List.of(args)));
        pb.environment().keySet().removeIf(k -> k.startsWith("CICD_"));
        pb.environment().putAll(env);
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        return new JarProcess(pb.start(), err);
    }

    /** Runs {@code java -jar cicd.jar args...} to completion (bounded by {@code timeout}). */
    static Finished run(Duration timeout, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("cicd-out-", ".txt");
        Path err = Files.createTempFile("cicd-err-", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command(List.of(args)));
            pb.environment().keySet().removeIf(k -> k.startsWith("CICD_"));
            pb.environment().putAll(env);
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("cicd " + String.join(" ", args) + " did not finish within " + timeout
                        + "\n--- stdout\n" + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            return new Finished(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Waits until the log contains {@code text}. */
    void awaitLog(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("the runner exited with " + process.exitValue() + " before logging '" + text
                        + "':\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the runner did not log '" + text + "' within " + timeout + ":\n" + Files.readString(log));
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    /** SIGKILL, no shutdown hook. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait for the graceful stop; returns the exit code. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the runner did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    /** SIGTERM, then SIGKILL when it has not stopped within 20 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
