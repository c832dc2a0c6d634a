package dev.cicd.core.internal.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idle {@link PrestartedShell}s of this JVM, at most one per {@link Key} and {@link #MAX_IDLE} in
 * all. Shared by all shell actions, so an action rebuilt with the same settings (a runner that gains
 * the leadership again) uses the shells of the one before instead of leaving them behind.
 */
public final class PrestartedShells {

    /** Most idle shells kept; beyond, the oldest are ended. */
    public static final int MAX_IDLE = 32;

    private static final Logger LOG = LoggerFactory.getLogger(PrestartedShells.class);
    private static final ConcurrentHashMap<Key, PrestartedShell> IDLE = new ConcurrentHashMap<>();
    private static volatile boolean broken;

    private PrestartedShells() {
    }

    /**
     * How a shell is started, apart from the plan file: the same for every run of an action, so it is
     * made once per action and its hash is computed once.
     */
    public static final class Spec {
        private final List<String> command;
        private final Map<String, String> environment;
        private final int maxOutputBytes;
        private final int hash;

        /**
         * @param command        the command with the {@code {plan}} placeholder
         * @param environment    the process's environment before the event's variables
         * @param maxOutputBytes how much output the shell's {@link PrestartedShell#tail} keeps
         */
        public Spec(List<String> command, Map<String, String> environment, int maxOutputBytes) {
            this.command = List.copyOf(command);
            this.environment = Map.copyOf(environment);
            this.maxOutputBytes = maxOutputBytes;
            this.hash = 31 * (31 * this.command.hashCode() + this.environment.hashCode()) + maxOutputBytes;
        }

        public List<String> command() {
            return command;
        }

        public Map<String, String> environment() {
            return environment;
        }

        public int maxOutputBytes() {
            return maxOutputBytes;
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof Spec s && hash == s.hash && maxOutputBytes == s.maxOutputBytes
                    && command.equals(s.command) && environment.equals(s.environment);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * What a prestarted shell is interchangeable for.
     *
     * @param spec      command and environment
     * @param watch     the watch (it names the plan file)
     * @param planDir   where the plan file goes
     * @param directory the process's working directory
     */
    public record Key(Spec spec, String watch, Path planDir, Path directory) {
    }

    /** False once a shell ended by itself (see {@link #take}): then nothing is prestarted any more. */
    public static boolean enabled() {
        return !broken;
    }

    /** Removes and returns the idle shell of {@code key} when it is usable; null otherwise. */
    public static PrestartedShell take(Key key) {
        PrestartedShell s = IDLE.remove(key);
        if (s == null) {
            return null;
        }
        boolean ended = !s.process().isAlive();
        if (!ended && s.usable()) {
            return s;
        }
        s.discard();
        if (ended) {
            int code = s.process().exitValue();
            // killed by a signal (128 + n) is someone else's doing; any other exit means this bash or
            // environment does not wait in its start-up file (it ran into the missing plan: code 1), so
            // prestarting would be wrong here
            if (code < 128 && !broken) {
                broken = true;
                LOG.warn("a prestarted shell for watch {} ended by itself with exit code {}; shells are started on "
                        + "demand from now on", key.watch(), code);
            }
        }
        return null;
    }

    /**
     * Starts a shell for {@code key} on the calling thread unless one is idle or prestarting is off.
     *
     * @param commandFor the command line for a plan file
     * @param readers    where the shell's output is read
     */
    public static void fill(Key key, Function<Path, List<String>> commandFor, ExecutorService readers) {
        if (broken || IDLE.containsKey(key) || !Files.isDirectory(key.planDir()) || !Files.isDirectory(key.directory())) {
            return;
        }
        PrestartedShell s;
        try {
            Path planFile = key.planDir().resolve("plan-" + key.watch() + "-"
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".sh");
            s = PrestartedShell.start(commandFor.apply(planFile), planFile, key.directory(), key.spec().environment(),
                    key.spec().maxOutputBytes(), readers);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not prestart a shell for watch {}: {}", key.watch(), e.toString());
            return;
        }
        if (IDLE.putIfAbsent(key, s) != null) {
            s.discard();
            return;
        }
        trim();
    }

    /** Ends the idle shells whose key matches. */
    public static void discard(Predicate<Key> which) {
        for (Key k : List.copyOf(IDLE.keySet())) {
            if (which.test(k)) {
                PrestartedShell s = IDLE.remove(k);
                if (s != null) {
                    s.discard();
                }
            }
        }
    }

    /** Whether a shell for {@code key} is idle. */
    public static boolean isIdle(Key key) {
        return IDLE.containsKey(key);
    }

    /** How many shells are idle. */
    public static int idle() {
        return IDLE.size();
    }

    /** Ends idle shells whose directories are gone, then the oldest beyond {@link #MAX_IDLE}. */
    private static void trim() {
        discard(k -> !Files.isDirectory(k.planDir()) || !Files.isDirectory(k.directory()));
        while (IDLE.size() > MAX_IDLE) {
            IDLE.entrySet().stream().min(Comparator.comparingLong(e -> e.getValue().started()))
                    .ifPresent(e -> {
                        if (IDLE.remove(e.getKey(), e.getValue())) {
                            e.getValue().discard();
                        }
                    });
        }
    }
}
