package dev.cicd.testkit.internal.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendSelectionTest {

    @TempDir
    Path dir;

    private Path executable(String relative) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    @Test
    void autoPrefersALocalBinaryAndDoesNotAskDocker() {
        AtomicBoolean dockerAsked = new AtomicBoolean();
        BackendSelection.Choice choice = BackendSelection.choose(EtcdBackend.AUTO, Optional.of(Path.of("/x/etcd")),
                () -> dockerAsked.getAndSet(true));

        assertEquals(EtcdBackend.LOCAL, choice.backend());
        assertEquals(Optional.of(Path.of("/x/etcd")), choice.binary());
        assertFalse(dockerAsked.get());
    }

    @Test
    void autoFallsBackToContainersWhenDockerAnswers() {
        assertEquals(EtcdBackend.CONTAINER,
                BackendSelection.choose(EtcdBackend.AUTO, Optional.empty(), () -> true).backend());
    }

    @Test
    void autoWithoutBinaryOrDockerSaysHowToInstallEtcd() {
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> BackendSelection.choose(EtcdBackend.AUTO, Optional.empty(), () -> false));

        assertTrue(failure.getMessage().contains("apt-get install -y etcd-server"), failure.getMessage());
        assertTrue(failure.getMessage().contains("ETCD_BIN"), failure.getMessage());
    }

    @Test
    void forcedBackendsFailWhenTheirRequirementIsMissing() {
        assertThrows(IllegalStateException.class,
                () -> BackendSelection.choose(EtcdBackend.LOCAL, Optional.empty(), () -> true));
        assertThrows(IllegalStateException.class,
                () -> BackendSelection.choose(EtcdBackend.CONTAINER, Optional.of(Path.of("/x/etcd")), () -> false));
    }

    @Test
    void etcdBinEnvironmentVariableWinsOverPath() throws IOException {
        Path explicit = executable("explicit/etcd");
        Path onPath = executable("bin/etcd");

        Optional<Path> found = BackendSelection.locate(
                Map.of("ETCD_BIN", explicit.toString(), "PATH", onPath.getParent().toString()), dir.resolve("none"));

        assertEquals(Optional.of(explicit.toAbsolutePath()), found);
    }

    @Test
    void pathIsSearchedInOrderBeforeTheFallback() throws IOException {
        Path first = executable("first/etcd");
        executable("second/etcd");
        Path fallback = executable("fallback/etcd");
        String path = dir.resolve("empty") + ":" + first.getParent() + ":" + dir.resolve("second");

        assertEquals(Optional.of(first.toAbsolutePath()), BackendSelection.locate(Map.of("PATH", path), fallback));
        assertEquals(Optional.of(fallback), BackendSelection.locate(Map.of("PATH", ""), fallback));
        assertEquals(Optional.empty(), BackendSelection.locate(Map.of(), dir.resolve("missing")));
    }

    @Test
    void anEtcdBinThatIsNotExecutableIsAnError() throws IOException {
        Path plain = Files.writeString(dir.resolve("etcd.txt"), "not a program");

        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> BackendSelection.locate(Map.of("ETCD_BIN", plain.toString()), dir.resolve("none")));
        assertTrue(failure.getMessage().contains("ETCD_BIN"), failure.getMessage());
    }
}
