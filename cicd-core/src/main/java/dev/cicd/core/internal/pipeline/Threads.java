package dev.cicd.core.internal.pipeline;

import dev.cicd.core.CicdException;
import dev.cicd.core.FileTrees;
import dev.cicd.core.WatchSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's threads and work directory: feed threads (rendering, one watch at a time each), worker
 * threads (actions, at most {@code parallelism}), the watchdog timer, and the directory actions write
 * into (a subdirectory per watch; a temporary one, deleted on close, when none was given).
 */
final class Threads {

    final ThreadPoolExecutor feeds;
    final ThreadPoolExecutor workers;
    final ScheduledThreadPoolExecutor timer;
    final Path workDir;
    private final boolean ownsWorkDir;
    private final Map<String, Path> watchDirs = new HashMap<>();

    Threads(String name, int parallelism, Path configuredWorkDir, List<WatchSpec> watches) {
        ownsWorkDir = configuredWorkDir == null;
        try {
            workDir = ownsWorkDir ? Files.createTempDirectory("cicd-pipeline-") : configuredWorkDir;
            for (WatchSpec w : watches) {
                watchDirs.put(w.name(), Files.createDirectories(workDir.resolve(w.name())));
            }
        } catch (IOException | RuntimeException e) {
            throw new CicdException(CicdException.Code.CONFIG, "could not create the pipeline's work directory "
                    + (configuredWorkDir != null ? configuredWorkDir : "(temporary)") + ": " + e, e);
        }
        int feedThreads = Math.max(1, Math.min(watches.size(), 4));
        feeds = new ThreadPoolExecutor(feedThreads, feedThreads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                factory(name + "-feed-"));
        workers = new ThreadPoolExecutor(parallelism, parallelism, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                factory(name + "-worker-"));
        workers.allowCoreThreadTimeOut(true);
        feeds.allowCoreThreadTimeOut(true);
        timer = new ScheduledThreadPoolExecutor(1, factory(name + "-watchdog-"));
        timer.setRemoveOnCancelPolicy(true);
    }

    Path workDir(String watch) {
        return watchDirs.get(watch);
    }

    void close() {
        timer.shutdownNow();
        feeds.shutdown();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
            feeds.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        feeds.shutdownNow();
        if (ownsWorkDir) {
            FileTrees.deleteTree(workDir);
        }
    }

    private static ThreadFactory factory(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
