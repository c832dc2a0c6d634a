package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.CompactOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * The fixture: owns the members, waits for readiness over HTTP ({@code /health}), and holds the
 * shared jetcd client.
 */
public final class EtcdFixtureImpl implements EtcdFixture {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdFixtureImpl.class);
    private static final int START_ATTEMPTS = 3;
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    private static volatile Path defaultWorkDir;

    private final EtcdMembers members;
    private final Path directory;
    private final Duration startupTimeout;
    private Client client;
    private boolean closed;

    private EtcdFixtureImpl(EtcdMembers members, Path directory, Duration startupTimeout) {
        this.members = members;
        this.directory = directory;
        this.startupTimeout = startupTimeout;
    }

    /** Chooses the backend, starts all members and returns the ready fixture. */
    public static EtcdFixture start(EtcdSettings settings) {
        BackendSelection.Choice choice = BackendSelection.choose(settings,
                () -> DockerClientFactory.instance().isDockerAvailable());
        Path directory = createDirectory(settings.workDir().orElseGet(EtcdFixtureImpl::defaultWorkDir));
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

    private static Path defaultWorkDir() {
        String property = System.getProperty(EtcdSettings.WORK_DIR_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        Path dir = defaultWorkDir;
        if (dir == null) {
            synchronized (EtcdFixtureImpl.class) {
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

    private void firstStart() {
        for (int attempt = 1; ; attempt++) {
            members.startAll();
            Optional<StartFailure> failure = awaitHealthy(all(), deadline());
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
        awaitClientReady(deadline());
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
        List<Integer> running = running();
        if (hasMajority(running.size())) {
            awaitHealthy(running, deadline()).ifPresent(StartFailure::fail);
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

    // ---- readiness

    /**
     * Starts the given members, then waits until they serve: by {@code /health} when a majority
     * of the cluster runs (a member without quorum is never healthy), else until they accept TCP
     * connections. The shared client is checked too when the cluster can serve.
     */
    private void startAndAwait(List<Integer> toStart) {
        for (int member : toStart) {
            members.start(member);
        }
        Deadline deadline = deadline();
        List<Integer> running = running();
        if (hasMajority(running.size())) {
            awaitHealthy(running, deadline).ifPresent(StartFailure::fail);
            awaitClientReady(deadline);
        } else {
            awaitListening(toStart, deadline);
        }
    }

    private Optional<StartFailure> awaitHealthy(List<Integer> targets, Deadline deadline) {
        List<Integer> pending = new ArrayList<>(targets);
        while (true) {
            for (int member : List.copyOf(pending)) {
                Optional<String> failure = members.failure(member);
                if (failure.isPresent()) {
                    return Optional.of(new StartFailure(member, failure.get()));
                }
                if (healthy(member)) {
                    pending.remove(Integer.valueOf(member));
                }
            }
            if (pending.isEmpty()) {
                return Optional.empty();
            }
            if (deadline.passed()) {
                return Optional.of(new StartFailure(pending.get(0), "not healthy within " + startupTimeout));
            }
            sleep(POLL);
        }
    }

    private boolean healthy(int member) {
        HttpRequest request = HttpRequest.newBuilder(members.clientEndpoint(member).resolve("/health"))
                .timeout(PROBE_TIMEOUT)
                .GET()
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private void awaitListening(List<Integer> targets, Deadline deadline) {
        for (int member : targets) {
            URI endpoint = members.clientEndpoint(member);
            while (true) {
                Optional<String> failure = members.failure(member);
                if (failure.isPresent()) {
                    throw new StartFailure(member, failure.get()).toException();
                }
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 500);
                    break;
                } catch (IOException e) {
                    if (deadline.passed()) {
                        throw new StartFailure(member, "not listening within " + startupTimeout).toException();
                    }
                    sleep(POLL);
                }
            }
        }
    }

    /** The shared client reconnects on its own after faults; wait until a read goes through. */
    private void awaitClientReady(Deadline deadline) {
        ByteSequence probe = ByteSequence.from("/cicd-testkit/ready", StandardCharsets.UTF_8);
        RuntimeException last = null;
        while (!deadline.passed()) {
            try {
                client.getKVClient().get(probe).get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the etcd client", e);
            } catch (ExecutionException | TimeoutException e) {
                last = new IllegalStateException(e.getCause() != null ? e.getCause() : e);
                sleep(POLL);
            }
        }
        throw new IllegalStateException("the etcd client did not become ready within " + startupTimeout
                + " (endpoints " + endpoints() + ")", last);
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

    private List<Integer> running() {
        return IntStream.range(0, members.size()).filter(members::isRunning).boxed().collect(Collectors.toList());
    }

    private boolean hasMajority(int running) {
        return running > members.size() / 2;
    }

    private Deadline deadline() {
        return new Deadline(System.nanoTime() + startupTimeout.toNanos());
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

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private record Deadline(long nanos) {
        boolean passed() {
            return System.nanoTime() - nanos > 0;
        }
    }

    /** A member that did not come up, with the reason. */
    private final class StartFailure {
        private final int member;
        private final String reason;

        StartFailure(int member, String reason) {
            this.member = member;
            this.reason = reason;
        }

        void fail() {
            throw toException();
        }

        IllegalStateException toException() {
            return new IllegalStateException("etcd " + members.backend().name().toLowerCase(Locale.ROOT)
                    + " member " + member + " (" + members.clientEndpoint(member) + ") failed to start: " + reason
                    + "; log " + members.logFile(member) + " ends with:" + System.lineSeparator()
                    + members.logTail(member));
        }
    }
}
