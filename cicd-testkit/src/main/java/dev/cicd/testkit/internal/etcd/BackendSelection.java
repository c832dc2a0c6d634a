package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Finds the etcd binary and decides which backend a fixture uses.
 */
public final class BackendSelection {

    /** Environment variable naming the etcd binary to use. */
    public static final String ETCD_BIN = "ETCD_BIN";

    /** What to do when no backend is available. */
    public static final String INSTALL_HINT = "install etcd (Debian/Ubuntu: `apt-get install -y etcd-server`) "
            + "or set " + ETCD_BIN + " to the path of an etcd binary, or run a Docker engine for the "
            + "container backend";

    private static final Path DEFAULT_BINARY = Path.of("/usr/bin/etcd");

    private BackendSelection() {
    }

    /** The chosen backend and, for LOCAL, the binary to run. */
    public record Choice(EtcdBackend backend, Optional<Path> binary) {
        public Choice {
            if (backend == EtcdBackend.AUTO) {
                throw new IllegalArgumentException("a choice is LOCAL or CONTAINER");
            }
            if (backend == EtcdBackend.LOCAL && binary.isEmpty()) {
                throw new IllegalArgumentException("LOCAL needs a binary");
            }
        }
    }

    /** Chooses for the current process environment. */
    public static Choice choose(EtcdSettings settings, BooleanSupplier dockerAvailable) {
        Optional<Path> binary = settings.etcdBinary().isPresent()
                ? Optional.of(checkExecutable(settings.etcdBinary().get(), "etcdBinary"))
                : locate(System.getenv(), DEFAULT_BINARY);
        return choose(settings.backend(), binary, dockerAvailable);
    }

    /**
     * Chooses a backend. AUTO prefers a local binary, then a Docker engine; LOCAL and CONTAINER
     * fail with an {@link IllegalStateException} when what they need is missing.
     */
    public static Choice choose(EtcdBackend requested, Optional<Path> binary, BooleanSupplier dockerAvailable) {
        switch (requested) {
            case LOCAL:
                return new Choice(EtcdBackend.LOCAL, Optional.of(binary.orElseThrow(() ->
                        new IllegalStateException("no etcd binary found (checked " + ETCD_BIN + ", PATH, "
                                + DEFAULT_BINARY + "): " + INSTALL_HINT))));
            case CONTAINER:
                if (!dockerAvailable.getAsBoolean()) {
                    throw new IllegalStateException("the container backend needs a Docker engine and none "
                            + "answers; use the LOCAL backend: " + INSTALL_HINT);
                }
                return new Choice(EtcdBackend.CONTAINER, Optional.empty());
            case AUTO:
            default:
                if (binary.isPresent()) {
                    return new Choice(EtcdBackend.LOCAL, binary);
                }
                if (dockerAvailable.getAsBoolean()) {
                    return new Choice(EtcdBackend.CONTAINER, Optional.empty());
                }
                throw new IllegalStateException("no etcd available: no etcd binary (checked " + ETCD_BIN
                        + ", PATH, " + DEFAULT_BINARY + ") and no Docker engine; " + INSTALL_HINT);
        }
    }

    /**
     * Looks for etcd: {@code ETCD_BIN} (must then be executable), each {@code PATH} entry, then the
     * fallback.
     */
    public static Optional<Path> locate(Map<String, String> env, Path fallback) {
        String explicit = env.get(ETCD_BIN);
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(checkExecutable(Path.of(explicit), ETCD_BIN));
        }
        String path = env.getOrDefault("PATH", "");
        for (String dir : List.of(path.split(File.pathSeparator))) {
            if (dir.isBlank()) {
                continue;
            }
            try {
                Path candidate = Path.of(dir, "etcd");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toAbsolutePath());
                }
            } catch (InvalidPathException ignored) {
                // a malformed PATH entry is skipped, as a shell would
            }
        }
        if (Files.isRegularFile(fallback) && Files.isExecutable(fallback)) {
            return Optional.of(fallback);
        }
        return Optional.empty();
    }

    private static Path checkExecutable(Path binary, String source) {
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new IllegalStateException(source + " points to " + binary
                    + ", which is not an executable file; " + INSTALL_HINT);
        }
        return binary.toAbsolutePath();
    }
}
