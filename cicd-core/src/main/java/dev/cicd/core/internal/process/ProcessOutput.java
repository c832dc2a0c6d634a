package dev.cicd.core.internal.process;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads a process's combined output into an {@link OutputTail} on a pooled thread, and collects it. */
public final class ProcessOutput {

    private ProcessOutput() {
    }

    /**
     * Reads the process's output into the tail on a pooled thread (starting a thread per run would
     * compete with the script's start for the CPU).
     */
    public static Future<?> drain(Process process, OutputTail tail, ExecutorService readers) {
        return readers.submit(() -> {
            Thread t = Thread.currentThread();
            String name = t.getName();
            t.setName("cicd-shell-output-" + process.pid());
            try {
                tail.drain(process.getInputStream());
            } finally {
                t.setName(name);
            }
        });
    }

    /** What the process printed, waiting up to {@code wait} for the rest after it ended. */
    public static String collect(Future<?> drainer, OutputTail tail, Duration wait) {
        try {
            drainer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // still draining (or failed): what we have is the output
        }
        if (!drainer.isDone()) {
            return tail.text() + "\n[output incomplete: a background process still holds the output open]\n";
        }
        return tail.text();
    }
}
