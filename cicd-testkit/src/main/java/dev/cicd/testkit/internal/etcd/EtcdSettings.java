package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Validated options of an etcd fixture.
 *
 * @param backend        requested backend (AUTO, LOCAL or CONTAINER)
 * @param members        number of members: 1, 3 or 5
 * @param workDir        parent of the fixture directory; empty means the default
 * @param startupTimeout bound for every start and readiness wait
 * @param etcdBinary     explicit etcd binary; empty means look it up
 * @param containerImage explicit container image; empty means jetcd-launcher's default
 */
public record EtcdSettings(
        EtcdBackend backend,
        int members,
        Optional<Path> workDir,
        Duration startupTimeout,
        Optional<Path> etcdBinary,
        Optional<String> containerImage) {

    /** System property naming the directory under which fixtures keep logs and data. */
    public static final String WORK_DIR_PROPERTY = "cicd.testkit.workDir";

    public EtcdSettings {
        Objects.requireNonNull(backend, "backend");
        checkMembers(members);
        Objects.requireNonNull(workDir, "workDir");
        checkTimeout(startupTimeout);
        Objects.requireNonNull(etcdBinary, "etcdBinary");
        Objects.requireNonNull(containerImage, "containerImage");
        containerImage.ifPresent(image -> {
            if (image.isBlank()) {
                throw new IllegalArgumentException("containerImage must not be blank");
            }
        });
    }

    /** Rejects member counts other than 1, 3 and 5. */
    public static void checkMembers(int members) {
        if (members != 1 && members != 3 && members != 5) {
            throw new IllegalArgumentException("members must be 1, 3 or 5, got " + members);
        }
    }

    /** Rejects a missing, zero or negative timeout. */
    public static void checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "startupTimeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
        }
    }
}
