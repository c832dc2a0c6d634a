package dev.cicd.core.internal.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Ends a process together with every process it started. */
public final class ProcessTree {

    private ProcessTree() {
    }

    /**
     * Asks the process's descendants, then the process, to terminate; after {@code grace} kills what is
     * still alive (looking for descendants again, since a dying parent may have started more).
     *
     * @return how many processes were signalled
     */
    public static int kill(ProcessHandle root, Duration grace) {
        Set<ProcessHandle> all = new LinkedHashSet<>();
        root.descendants().forEach(all::add);
        all.add(root);
        for (ProcessHandle h : all) {
            h.destroy();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (anyAlive(all) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<ProcessHandle> survivors = new ArrayList<>();
        for (ProcessHandle h : all) {
            if (alive(h)) {
                h.descendants().forEach(survivors::add);
                survivors.add(h);
            }
        }
        for (ProcessHandle h : survivors) {
            h.destroyForcibly();
            all.add(h);
        }
        return all.size();
    }

    private static boolean anyAlive(Set<ProcessHandle> handles) {
        for (ProcessHandle h : handles) {
            if (alive(h)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a process is running. A zombie (ended, not yet reaped by a parent that may never reap it)
     * counts as ended.
     */
    public static boolean alive(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(h.pid()), "stat");
        try {
            String s = Files.readString(stat);
            int close = s.lastIndexOf(')');
            if (close < 0 || close + 2 >= s.length()) {
                return true;
            }
            char state = s.charAt(close + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux) or the process just ended
            return h.isAlive();
        }
    }
}
