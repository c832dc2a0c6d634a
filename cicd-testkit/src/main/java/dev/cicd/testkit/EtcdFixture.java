package dev.cicd.testkit;

import dev.cicd.testkit.internal.etcd.EtcdFixtureImpl;
import dev.cicd.testkit.internal.etcd.EtcdSettings;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A real etcd for a test: one member or a small cluster, started by {@link #builder()} and
 * stopped by {@link #close()}.
 *
 * <p>With the local backend every member is an {@code etcd} process listening on 127.0.0.1 on
 * ports chosen for this fixture; ports and data directory stay the same across {@link #restart()},
 * {@link #kill()} / {@link #start()} and {@link #stopMember(int)} / {@link #startMember(int)}, so
 * clients keep working after a fault. Member logs are kept under the fixture's
 * {@link #directory()} after {@link #close()}; the data is deleted.
 *
 * <p>Methods are thread-safe. Fault controls block until the affected members are serving again
 * (or, for stops, until the surviving majority has a leader), bounded by the startup timeout.
 */
public interface EtcdFixture extends AutoCloseable {

    /** A builder with the defaults: {@link EtcdBackend#AUTO}, one member, 20 s startup timeout. */
    static Builder builder() {
        return new Builder();
    }

    /** The backend actually in use: {@link EtcdBackend#LOCAL} or {@link EtcdBackend#CONTAINER}. */
    EtcdBackend backend();

    /** Client URLs of all members, in member order (stopped members included). */
    List<URI> endpoints();

    /** The shared client for all endpoints; ready when returned; closed by {@link #close()}. */
    Client client();

    /** A new client for all endpoints; the caller closes it. */
    Client newClient();

    /** Number of members of the cluster. */
    int memberCount();

    /** Whether member {@code member} (0-based) is currently running. */
    boolean isMemberRunning(int member);

    /** Stops every member gracefully (SIGTERM) and starts it again on the same ports and data. */
    void restart();

    /** Kills every member at once with SIGKILL; {@link #start()} brings them back. */
    void kill();

    /** Starts every member that is not running (same ports and data) and waits until it serves. */
    void start();

    /** Stops one member gracefully; the others keep serving while a majority runs. */
    void stopMember(int member);

    /** Starts one stopped member again; it rejoins the cluster with its old data. */
    void startMember(int member);

    /**
     * Compacts the key-value history up to {@code revision} (physically), so that reads and
     * watches below it fail with a compaction error.
     */
    void compact(long revision);

    /** This fixture's own directory under the work dir (member logs, and the data while open). */
    Path directory();

    /** The log file of member {@code member} (its stdout and stderr). */
    Path logFile(int member);

    /** Closes the shared client, kills all members and deletes the data; logs are kept. */
    @Override
    void close();

    /** Options of a fixture; {@link #build()} starts it. */
    final class Builder {
        private EtcdBackend backend = EtcdBackend.AUTO;
        private int members = 1;
        private Path workDir;
        private Duration startupTimeout = Duration.ofSeconds(20);
        private Path etcdBinary;
        private String containerImage;

        Builder() {
        }

        /** Which backend to use; {@link EtcdBackend#AUTO} by default. */
        public Builder backend(EtcdBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Number of members: 1, 3 or 5; 1 by default. */
        public Builder members(int members) {
            EtcdSettings.checkMembers(members);
            this.members = members;
            return this;
        }

        /**
         * Parent of the fixture's directory. Default: the system property
         * {@code cicd.testkit.workDir} (set by the build to {@code target/testkit}), else a
         * temporary directory.
         */
        public Builder workDir(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            return this;
        }

        /** How long a start may take before it fails with the member's log tail; 20 s by default. */
        public Builder startupTimeout(Duration startupTimeout) {
            EtcdSettings.checkTimeout(startupTimeout);
            this.startupTimeout = startupTimeout;
            return this;
        }

        /** The {@code etcd} binary to run, instead of looking in {@code ETCD_BIN} and {@code PATH}. */
        public Builder etcdBinary(Path etcdBinary) {
            this.etcdBinary = Objects.requireNonNull(etcdBinary, "etcdBinary");
            return this;
        }

        /** The container image for the container backend; jetcd-launcher's default otherwise. */
        public Builder containerImage(String containerImage) {
            this.containerImage = Objects.requireNonNull(containerImage, "containerImage");
            return this;
        }

        /** Starts the fixture and returns it once every member serves and the client is ready. */
        public EtcdFixture build() {
            return EtcdFixtureImpl.start(settings());
        }

        EtcdSettings settings() {
            return new EtcdSettings(backend, members, Optional.ofNullable(workDir), startupTimeout,
                    Optional.ofNullable(etcdBinary), Optional.ofNullable(containerImage));
        }
    }
}
