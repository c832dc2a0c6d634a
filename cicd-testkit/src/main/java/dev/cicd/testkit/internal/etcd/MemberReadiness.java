package dev.cicd.testkit.internal.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Waits until a fixture's etcd members serve, within the startup timeout: healthy by HTTP
 * ({@code /health}) when a majority of the cluster runs (a member without quorum is never healthy),
 * else accepting TCP connections; and until the shared jetcd client gets an answer. A member that
 * fails meanwhile is reported with the tail of its log.
 */
final class MemberReadiness {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    private final EtcdMembers members;
    private final Duration startupTimeout;

    MemberReadiness(EtcdMembers members, Duration startupTimeout) {
        this.members = members;
        this.startupTimeout = startupTimeout;
    }

    /** The startup timeout from now. */
    Deadline deadline() {
        return new Deadline(System.nanoTime() + startupTimeout.toNanos());
    }

    /** The members that run now. */
    List<Integer> running() {
        return IntStream.range(0, members.size()).filter(members::isRunning).boxed().collect(Collectors.toList());
    }

    /** Whether {@code running} members are a majority of the cluster, so it can serve. */
    boolean hasMajority(int running) {
        return running > members.size() / 2;
    }

    /** Waits until every target is healthy; the first member that failed or was not healthy in time, if any. */
    Optional<StartFailure> awaitHealthy(List<Integer> targets, Deadline deadline) {
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

    /** Waits until every target accepts TCP connections on its client port. */
    void awaitListening(List<Integer> targets, Deadline deadline) {
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
    void awaitClientReady(Client client, List<URI> endpoints, Deadline deadline) {
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
                + " (endpoints " + endpoints + ")", last);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    record Deadline(long nanos) {
        boolean passed() {
            return System.nanoTime() - nanos > 0;
        }
    }

    /** A member that did not come up, with the reason. */
    final class StartFailure {
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
