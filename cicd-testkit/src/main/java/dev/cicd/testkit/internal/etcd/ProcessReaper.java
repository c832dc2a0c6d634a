package dev.cicd.testkit.internal.etcd;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kills processes a fixture started if the JVM exits before the fixture was closed, so no etcd
 * outlives a test run that ended abruptly (System.exit, Ctrl-C, a fork timeout).
 */
final class ProcessReaper {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private ProcessReaper() {
    }

    static void register(Process process) {
        installHook();
        LIVE.add(process);
    }

    static void unregister(Process process) {
        LIVE.remove(process);
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        synchronized (ProcessReaper.class) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(ProcessReaper::killAll, "cicd-testkit-etcd-reaper"));
                hookInstalled = true;
            }
        }
    }

    private static void killAll() {
        for (Process process : LIVE) {
            process.destroyForcibly();
        }
    }
}
