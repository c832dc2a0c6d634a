package dev.cicd.testkit;

import static dev.cicd.testkit.EtcdTestSupport.bytes;
import static dev.cicd.testkit.EtcdTestSupport.get;
import static dev.cicd.testkit.EtcdTestSupport.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdFixtureLocalTest {

    private static EtcdFixture local() {
        return EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
    }

    @Test
    void putThenGetReturnsTheValueOnLoopback() {
        try (EtcdFixture etcd = local()) {
            assertEquals(EtcdBackend.LOCAL, etcd.backend());
            assertEquals(1, etcd.endpoints().size());
            URI endpoint = etcd.endpoints().get(0);
            assertEquals("127.0.0.1", endpoint.getHost());

            put(etcd.client(), "/app/image", "v1");

            assertEquals(Optional.of("v1"), get(etcd.client(), "/app/image"));
        }
    }

    @Test
    void watchFromARevisionDeliversEveryLaterPutInOrder() throws Exception {
        try (EtcdFixture etcd = local()) {
            long first = put(etcd.client(), "/app/trigger", "t1");
            put(etcd.client(), "/app/trigger", "t2");
            put(etcd.client(), "/app/trigger", "t3");
            BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();

            try (Watch.Watcher watcher = etcd.client().getWatchClient().watch(bytes("/app/trigger"),
                    WatchOption.builder().withRevision(first).build(),
                    response -> events.addAll(response.getEvents()))) {
                for (String expected : List.of("t1", "t2", "t3")) {
                    WatchEvent event = events.poll(10, TimeUnit.SECONDS);
                    assertEquals(expected, event.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
                }
                put(etcd.client(), "/app/trigger", "t4");
                WatchEvent live = events.poll(10, TimeUnit.SECONDS);
                assertEquals("t4", live.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
                assertFalse(watcher.isClosed());
            }
        }
    }

    @Test
    void newClientIsIndependentOfTheSharedClient() {
        try (EtcdFixture etcd = local()) {
            try (Client own = etcd.newClient()) {
                put(own, "/k", "from-own-client");
            }
            assertEquals(Optional.of("from-own-client"), get(etcd.client(), "/k"));
        }
    }

    @Test
    void restartKeepsDataPortsAndTheSharedClient() {
        try (EtcdFixture etcd = local()) {
            List<URI> before = etcd.endpoints();
            Client client = etcd.client();
            put(client, "/app/image", "v7");

            etcd.restart();

            assertEquals(before, etcd.endpoints());
            assertEquals(Optional.of("v7"), get(client, "/app/image"));
            assertTrue(log(etcd).contains("closed etcd server"), "a restart stops etcd gracefully");
        }
    }

    @Test
    void killStopsEtcdAbruptlyAndStartBringsItBackWithItsData() throws IOException {
        try (EtcdFixture etcd = local()) {
            Client client = etcd.client();
            put(client, "/app/image", "v3");
            URI endpoint = etcd.endpoints().get(0);

            etcd.kill();

            assertFalse(etcd.isMemberRunning(0));
            assertThrows(ConnectException.class, () -> connect(endpoint));
            assertFalse(log(etcd).contains("closed etcd server"), "SIGKILL leaves no graceful shutdown in the log");

            etcd.start();

            assertTrue(etcd.isMemberRunning(0));
            assertEquals(endpoint, etcd.endpoints().get(0));
            assertEquals(Optional.of("v3"), get(client, "/app/image"));
            put(client, "/app/image", "v4");
            assertEquals(Optional.of("v4"), get(client, "/app/image"));
        }
    }

    @Test
    void watchBelowTheCompactedRevisionFailsWithACompactionError() throws Exception {
        try (EtcdFixture etcd = local()) {
            long first = put(etcd.client(), "/app/trigger", "a");
            put(etcd.client(), "/app/trigger", "b");
            long last = put(etcd.client(), "/app/trigger", "c");

            etcd.compact(last);

            CompletableFuture<Throwable> error = new CompletableFuture<>();
            Watch.Watcher watcher = etcd.client().getWatchClient().watch(bytes("/app/trigger"),
                    WatchOption.builder().withRevision(first).build(),
                    Watch.listener(response -> { }, error::complete));
            try {
                Throwable failure = error.get(10, TimeUnit.SECONDS);
                CompactedException compacted = assertInstanceOf(CompactedException.class, failure);
                assertEquals(last, compacted.getCompactedRevision());
            } finally {
                watcher.close();
            }
        }
    }

    @Test
    void twoLiveFixturesHaveDifferentPortsAndDirectories() {
        try (EtcdFixture a = local(); EtcdFixture b = local()) {
            Set<Integer> ports = new HashSet<>();
            a.endpoints().forEach(uri -> ports.add(uri.getPort()));
            b.endpoints().forEach(uri -> ports.add(uri.getPort()));
            assertEquals(2, ports.size());
            assertNotEquals(a.directory(), b.directory());

            put(a.client(), "/only-in-a", "x");

            assertEquals(Optional.empty(), get(b.client(), "/only-in-a"));
        }
    }

    @Test
    void closeKillsEtcdDeletesTheDataAndKeepsTheLog() {
        EtcdFixture etcd = local();
        URI endpoint = etcd.endpoints().get(0);
        put(etcd.client(), "/k", "v");

        etcd.close();

        assertFalse(etcd.isMemberRunning(0));
        assertThrows(ConnectException.class, () -> connect(endpoint));
        assertFalse(Files.exists(etcd.directory().resolve("data")));
        assertTrue(Files.isRegularFile(etcd.logFile(0)));
        assertTrue(log(etcd).contains("--listen-client-urls=" + endpoint));
        assertThrows(IllegalStateException.class, etcd::client);
        etcd.close();
    }

    @Test
    void directoryIsUnderTheWorkDirGivenToTheBuilder(@TempDir Path workDir) {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).workDir(workDir).build()) {
            assertEquals(workDir.toAbsolutePath(), etcd.directory().getParent());
            assertEquals(etcd.directory().resolve("member-0.log"), etcd.logFile(0));
        }
    }

    @Test
    void aMemberThatExitsAtOnceFailsTheStartWithTheTailOfItsLog(@TempDir Path dir) throws IOException {
        Path fake = script(dir, "fake-etcd", "echo 'boom: cannot open data dir'; exit 3");

        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> EtcdFixture.builder()
                .backend(EtcdBackend.LOCAL).etcdBinary(fake).workDir(dir.resolve("work")).build());

        assertTrue(failure.getMessage().contains("exited with code 3"), failure.getMessage());
        assertTrue(failure.getMessage().contains("boom: cannot open data dir"), failure.getMessage());
    }

    @Test
    void aMemberThatNeverBecomesHealthyFailsTheStartAfterTheTimeout(@TempDir Path dir) throws IOException {
        Path fake = script(dir, "silent-etcd", "echo 'waiting forever'; exec sleep 30");

        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> EtcdFixture.builder()
                .backend(EtcdBackend.LOCAL).etcdBinary(fake).workDir(dir.resolve("work"))
                .startupTimeout(Duration.ofSeconds(1)).build());

        assertTrue(failure.getMessage().contains("not healthy within PT1S"), failure.getMessage());
        assertTrue(failure.getMessage().contains("waiting forever"), failure.getMessage());
    }

    private static Path script(Path dir, String name, String body) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private static String log(EtcdFixture etcd) {
        try {
            return Files.readString(etcd.logFile(0));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void connect(URI endpoint) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 1000);
        }
    }
}
