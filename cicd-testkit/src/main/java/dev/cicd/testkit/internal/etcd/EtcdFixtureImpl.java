package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.internal.etcd.MemberReadiness.Deadline;
import dev.cicd.testkit.internal.etcd.MemberReadiness.StartFailure;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.CompactOption;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * The fixture: owns the members and the shared jetcd client, and starts, stops and kills members on
 * request, each time waiting (with {@link MemberReadiness}) until the cluster serves again.
 */
public final class EtcdFixtureImpl implements EtcdFixture {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdFixtureImpl.class);
    private static final int START_ATTEMPTS = 3;

    private final EtcdMembers members;
    private final Path directory;
    private final Duration startupTimeout;
    private final MemberReadiness readiness;
    private Client client;
    private boolean closed;

    private EtcdFixtureImpl(EtcdMembers members, Path directory, Duration startupTimeout) {
        this.members = members;
        this.directory = directory;
        this.startupTimeout = startupTimeout;
        this.readiness = new MemberReadiness(members, startupTimeout);
    }

    /** Chooses the backend, starts all members and returns the ready fixture. */
    public static EtcdFixture start(EtcdSettings settings) {
        BackendSelection.Choice choice = BackendSelection.choose(settings,
                () -> DockerClientFactory.instance().isDockerAvailable());
        Path directory = FixtureDirectories.create(settings.workDir());
        String token = "cicd-testkit-" + UUID.randomUUID();
        EtcdMembers members = choice.backend() == EtcdBackend.LOCAL
                ? new LocalEtcdMembers(choice.binary().orElseThrow(), settings.members(), directory, token)
                : new ContainerEtcdMembers(settings.members(), directory, token, settings.containerImage());
        EtcdFixtureImpl fixture = start(members, directory, settings.startupTimeout());
        LOG.info("etcd fixture started: backend {}, {} member(s), endpoints {}, logs in {}",
                choice.backend(), settings.members(), fixture.endpoints(), directory);
        return fixture;
    }

    /** Starts the given members and returns the ready fixture; closes them on failure. */
    static EtcdFixtureImpl start(EtcdMembers members, Path directory, Duration startupTimeout) {
        EtcdFixtureImpl fixture = new EtcdFixtureImpl(members, directory, startupTimeout);
        try {
            fixture.firstStart();
        } catch (RuntimeException e) {
            try {
                fixture.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return fixture;
    }

    private void firstStart() {
        for (int attempt = 1; ; attempt++) {
            members.startAll();
            Optional<StartFailure> failure = readiness.awaitHealthy(all(), readiness.deadline());
            if (failure.isEmpty()) {
                break;
            }
            boolean conflict = IntStream.range(0, members.size()).anyMatch(members::bindConflict);
            if (conflict && attempt < START_ATTEMPTS && members.relocate()) {
                LOG.warn("etcd could not bind its ports (attempt {} of {}); retrying on new ports",
                        attempt, START_ATTEMPTS);
                continue;
            }
            throw failure.get().toException();
        }
        client = newClient();
        readiness.awaitClientReady(client, endpoints(), readiness.deadline());
    }

    @Override
    public synchronized EtcdBackend backend() {
        return members.backend();
    }

    @Override
    public synchronized List<URI> endpoints() {
        return IntStream.range(0, members.size()).mapToObj(members::clientEndpoint).collect(Collectors.toList());
    }

    @Override
    public synchronized Client client() {
        checkOpen();
        return client;
    }

    @Override
    public synchronized Client newClient() {
        checkOpen();
        return Client.builder().endpoints(endpoints()).build();
    }

    @Override
    public synchronized int memberCount() {
        return members.size();
    }

    @Override
    public synchronized boolean isMemberRunning(int member) {
        checkMember(member);
        return !closed && members.isRunning(member);
    }

    @Override
    public synchronized void restart() {
        checkOpen();
        for (int i = 0; i < members.size(); i++) {
            members.stop(i, true);
        }
        startAndAwait(all());
        LOG.info("etcd fixture {} restarted", directory.getFileName());
    }

    @Override
    public synchronized void kill() {
        checkOpen();
        for (int i = 0; i < members.size(); i++) {
            members.stop(i, false);
        }
        LOG.info("etcd fixture {} killed", directory.getFileName());
    }

    @Override
    public synchronized void start() {
        checkOpen();
        startAndAwait(all());
    }

    @Override
    public synchronized void stopMember(int member) {
        checkOpen();
        checkMember(member);
        members.stop(member, true);
        List<Integer> running = readiness.running();
        if (readiness.hasMajority(running.size())) {
            readiness.awaitHealthy(running, readiness.deadline()).ifPresent(StartFailure::fail);
        }
        LOG.info("etcd fixture {}: member {} stopped", directory.getFileName(), member);
    }

    @Override
    public synchronized void startMember(int member) {
        checkOpen();
        checkMember(member);
        startAndAwait(List.of(member));
        LOG.info("etcd fixture {}: member {} started", directory.getFileName(), member);
    }

    @Override
    public synchronized void compact(long revision) {
        checkOpen();
        await(client.getKVClient().compact(revision, CompactOption.builder().withCompactPhysical(true).build()),
                "compact at revision " + revision);
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public Path logFile(int member) {
        checkMember(member);
        return members.logFile(member);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        try {
            members.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        LOG.info("etcd fixture {} closed; logs kept in {}", directory.getFileName(), directory);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "EtcdFixture[" + members.backend() + ", " + endpoints() + ", " + directory + "]";
    }

    /**
     * Starts the given members, then waits until they serve: by {@code /health} when a majority
     * of the cluster runs (a member without quorum is never healthy), else until they accept TCP
     * connections. The shared client is checked too when the cluster can serve.
     */
    private void startAndAwait(List<Integer> toStart) {
        for (int member : toStart) {
            members.start(member);
        }
        Deadline deadline = readiness.deadline();
        List<Integer> running = readiness.running();
        if (readiness.hasMajority(running.size())) {
            readiness.awaitHealthy(running, deadline).ifPresent(StartFailure::fail);
            readiness.awaitClientReady(client, endpoints(), deadline);
        } else {
            readiness.awaitListening(toStart, deadline);
        }
    }

    private <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(startupTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + what, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(what + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " timed out after " + startupTimeout, e);
        }
    }

    // ---- helpers

    private List<Integer> all() {
        return IntStream.range(0, members.size()).boxed().collect(Collectors.toList());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the etcd fixture is closed");
        }
    }

    private void checkMember(int member) {
        if (member < 0 || member >= members.size()) {
            throw new IndexOutOfBoundsException("member " + member + " of " + members.size());
        }
    }
}
