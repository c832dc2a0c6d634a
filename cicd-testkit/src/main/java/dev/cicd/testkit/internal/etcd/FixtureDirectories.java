package dev.cicd.testkit.internal.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where etcd fixtures keep their files: a new {@code etcd-*} directory per fixture under the work dir,
 * which is the configured one, else the {@value EtcdSettings#WORK_DIR_PROPERTY} system property, else one
 * temporary directory shared by the JVM's fixtures.
 */
final class FixtureDirectories {

    private static volatile Path defaultWorkDir;

    private FixtureDirectories() {
    }

    /** Creates a new fixture directory under {@code workDir}, or under the default work dir when empty. */
    static Path create(Optional<Path> workDir) {
        return createDirectory(workDir.orElseGet(FixtureDirectories::defaultWorkDir));
    }

    private static Path defaultWorkDir() {
        String property = System.getProperty(EtcdSettings.WORK_DIR_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        Path dir = defaultWorkDir;
        if (dir == null) {
            synchronized (FixtureDirectories.class) {
                if (defaultWorkDir == null) {
                    try {
                        defaultWorkDir = Files.createTempDirectory("cicd-testkit-");
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot create a temporary work dir", e);
                    }
                }
                dir = defaultWorkDir;
            }
        }
        return dir;
    }

    private static Path createDirectory(Path workDir) {
        try {
            Files.createDirectories(workDir);
            return Files.createTempDirectory(workDir.toAbsolutePath(), "etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a fixture directory under " + workDir, e);
        }
    }
}
