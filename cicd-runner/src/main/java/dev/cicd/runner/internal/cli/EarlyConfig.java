package dev.cicd.runner.internal.cli;

import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.wiring.EarlyStart;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The daemon's config read on a thread of its own from the start of {@code main}, while logging is set up
 * and the command line parsed (reading it takes ~0.15 s, most of it Jackson's first start). The command
 * then takes the result instead of reading the file again; when the early read failed it reads the file
 * itself, so errors are reported exactly as without this.
 */
final class EarlyConfig {

    private static volatile Path path;
    private static volatile CompletableFuture<RunnerConfig> reading;

    private EarlyConfig() {
    }

    /** Starts reading the config {@code args} name ({@code -c}/{@code --config}, else {@code CICD_CONFIG}). */
    static void start(String[] args, Map<String, String> env) {
        Optional<Path> file = configFile(args, env);
        if (file.isEmpty()) {
            return;
        }
        CompletableFuture<RunnerConfig> f = new CompletableFuture<>();
        path = file.get();
        reading = f;
        Thread t = new Thread(() -> {
            try {
                RunnerConfig config = RunnerConfig.load(file.get());
                f.complete(config);
                // the daemon connects to etcd next: start now, beside the command line's parsing
                EarlyStart.connectEarly(config.etcd(), EarlyStart.CONNECT_TIMEOUT);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "cicd-config");
        t.setDaemon(true);
        t.start();
    }

    /** The early read of {@code file}, once; empty when none was started for it or it failed. */
    static Optional<RunnerConfig> take(Path file) {
        CompletableFuture<RunnerConfig> f = reading;
        if (f == null || !file.equals(path)) {
            return Optional.empty();
        }
        reading = null;
        try {
            return Optional.of(f.join());
        } catch (CompletionException e) {
            return Optional.empty();
        }
    }

    /** The file of {@code -c FILE}, {@code -cFILE}, {@code --config FILE} or {@code --config=FILE}, else {@code CICD_CONFIG}. */
    static Optional<Path> configFile(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.length) {
                return Optional.of(Path.of(args[i + 1]));
            }
            if (a.startsWith("--config=")) {
                return Optional.of(Path.of(a.substring("--config=".length())));
            }
            if (a.startsWith("-c") && a.length() > 2 && !a.startsWith("--")) {
                return Optional.of(Path.of(a.substring(2)));
            }
        }
        String env1 = env.get("CICD_CONFIG");
        return env1 == null || env1.isBlank() ? Optional.empty() : Optional.of(Path.of(env1));
    }
}
