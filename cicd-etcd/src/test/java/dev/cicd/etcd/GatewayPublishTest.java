package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TriggerPublisher} over etcd's JSON gateway ({@link EtcdGateway}): the same verdicts as over gRPC,
 * the compacted-history path, the runner-alive check, and the errors a CI job meets.
 */
@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GatewayPublishTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    EtcdFixture etcd;

    private EtcdGateway gateway() {
        return EtcdGateway.builder().endpoints(etcd.endpoints()).build();
    }

    @Test
    void publishAndAwaitOverTheGatewayReturnsEachVerdictForItsOwnRevision() throws Exception {
        String base = uniquePrefix("gw");
        WatchSpec w = Recording.watch("gw", base);
        String key = base + "/trigger";
        try (TestRunner r = new TestRunner(etcd.client(), "r1", base, w, new Recording.RecordingAction(), null).start();
             EtcdGateway gw = gateway()) {
            TriggerPublisher publisher = TriggerPublisher.builder(gw).statusPrefix(base + "/status").build();
            PublishResult applied = publisher.publishAndAwait(key, value(1), WAIT);
            PublishResult inSync = publisher.publishAndAwait(key, value(1), WAIT);
            PublishResult rejected = publisher.publishAndAwait(key, "{\"tag\":\"no image\"}", WAIT);
            PublishResult failed = publisher.publishAndAwait(key, "{\"image\":\"app:2\",\"fail\":true}", WAIT);
            assertEquals(Outcome.Kind.APPLIED, applied.kind().orElseThrow());
            assertEquals(Outcome.Kind.IN_SYNC, inSync.kind().orElseThrow());
            assertEquals(Outcome.Kind.REJECTED, rejected.kind().orElseThrow());
            assertEquals(Outcome.Kind.FAILED, failed.kind().orElseThrow());
            for (PublishResult p : List.of(applied, inSync, rejected, failed)) {
                assertEquals(key, p.status().orElseThrow().key());
                assertEquals(p.revision(), p.status().orElseThrow().revision());
            }
            // the value reached etcd byte for byte
            assertEquals("{\"image\":\"app:2\",\"fail\":true}", Etcd.text(etcd.client().getKVClient()
                    .get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS).getKvs().get(0).getValue()));
            // an older revision's record, not the latest one
            long a = publisher.publish(key, value(5));
            long b = publisher.publish(key, value(6));
            assertEquals(a, publisher.awaitOutcome(key, a, WAIT).revision());
            assertEquals(b, publisher.awaitOutcome(key, b, WAIT).revision());
        }
    }

    @Test
    void aRecordWrittenBeforeACompactionIsFoundByReadingTheStoredRecords() throws Exception {
        String base = uniquePrefix("gwcompact");
        WatchSpec w = Recording.watch("gwc", base);
        String key = base + "/trigger";
        try (TestRunner r = new TestRunner(etcd.client(), "r1", base, w, new Recording.RecordingAction(), null).start();
             EtcdGateway gw = gateway()) {
            TriggerPublisher publisher = TriggerPublisher.builder(gw).statusPrefix(base + "/status").build();
            long rev = publisher.publish(key, value(1));
            assertTrue(r.sink.awaitOutcomes(1, WAIT));
            assertTrue(r.pipeline().awaitIdle(WAIT));
            long now = etcd.client().getKVClient().put(Etcd.bytes(base + "/other"), Etcd.bytes("x"))
                    .get(5, TimeUnit.SECONDS).getHeader().getRevision();
            etcd.client().getKVClient().compact(now).get(5, TimeUnit.SECONDS);
            PublishResult found = publisher.awaitOutcome(key, rev, WAIT);
            assertEquals(rev, found.revision());
            assertEquals(Outcome.Kind.APPLIED, found.kind().orElseThrow());
        }
    }

    @Test
    void waitingWithNoRunnerOfTheGroupAliveFailsAfterTheGrace() {
        String base = uniquePrefix("gwlonely");
        try (EtcdGateway gw = gateway()) {
            TriggerPublisher publisher = TriggerPublisher.builder(gw).statusPrefix(base + "/status")
                    .electionPrefix(base + "/election").requireRunner("nobody", Duration.ofMillis(600)).build();
            long rev = publisher.publish(base + "/trigger", value(1));
            NoRunnerException e = assertThrows(NoRunnerException.class,
                    () -> publisher.awaitOutcome(base + "/trigger", rev, WAIT));
            assertTrue(e.getMessage().contains("runner of group nobody"), e.getMessage());
        }
    }

    @Test
    void aMemberOfAShardedGroupCountsAsARunnerAlive() throws Exception {
        String base = uniquePrefix("gwsharded");
        String group = "lv" + Long.toHexString(System.nanoTime());
        String member = "/cicd/.shards/" + group + "/members/r1";
        etcd.client().getKVClient().put(Etcd.bytes(member), Etcd.bytes("{}")).get(5, TimeUnit.SECONDS);
        try (EtcdGateway gw = gateway()) {
            TriggerPublisher publisher = TriggerPublisher.builder(gw).statusPrefix(base + "/status")
                    .electionPrefix(base + "/election").requireRunner(group, Duration.ofMillis(300)).build();
            PublishResult r = publisher.publishAndAwait(base + "/trigger", value(1), Duration.ofMillis(1500));
            assertTrue(r.timedOut(), "no leader key, but a member of the sharded group: waited its whole timeout");
        } finally {
            etcd.client().getKVClient().delete(Etcd.bytes(member)).get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUnreachableEndpointIsASourceErrorNamingIt() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI dead = URI.create("http://127.0.0.1:" + port);
        try (EtcdGateway gw = EtcdGateway.builder().endpoints(List.of(dead)).build()) {
            CicdException e = assertThrows(CicdException.class,
                    () -> TriggerPublisher.builder(gw).build().publish("/gw/dead", value(1)));
            assertEquals(CicdException.Code.SOURCE, e.code());
            assertTrue(e.getMessage().contains(dead.toString()), e.getMessage());
            assertTrue(!EtcdGateway.isGatewayMissing(e));
        }
    }

    @Test
    void aSecondEndpointIsTriedWhenTheFirstDoesNotConnect() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String key = uniquePrefix("gwfailover") + "/trigger";
        try (EtcdGateway gw = EtcdGateway.builder()
                .endpoints(List.of(URI.create("http://127.0.0.1:" + port), etcd.endpoints().get(0))).build()) {
            long rev = TriggerPublisher.builder(gw).build().publish(key, value(3));
            assertEquals(rev, etcd.client().getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS)
                    .getKvs().get(0).getModRevision());
        }
    }

    @Test
    void anHttpServerThatIsNotTheGatewayIsToldApartAndNothingIsPut() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> answer404(server), "not-etcd");
            t.setDaemon(true);
            t.start();
            URI endpoint = URI.create("http://127.0.0.1:" + server.getLocalPort());
            try (EtcdGateway gw = EtcdGateway.builder().endpoints(List.of(endpoint)).build()) {
                CicdException e = assertThrows(CicdException.class,
                        () -> TriggerPublisher.builder(gw).build().publish("/gw/notetcd", value(1)));
                assertTrue(EtcdGateway.isGatewayMissing(e), e.getMessage());
                assertTrue(e.getMessage().contains("JSON gateway") && e.getMessage().contains(endpoint.toString()),
                        e.getMessage());
            }
        }
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        IllegalArgumentException noScheme = assertThrows(IllegalArgumentException.class,
                () -> EtcdGateway.builder().endpoints(List.of(URI.create("127.0.0.1:2379"))).build());
        assertTrue(noScheme.getMessage().contains("127.0.0.1:2379"), noScheme.getMessage());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> EtcdGateway.builder().endpoints(List.of(URI.create("http://127.0.0.1:2379")))
                        .tls(java.nio.file.Path.of("/nonexistent/ca.pem"), null, null).build());
        assertTrue(mixed.getMessage().contains("https"), mixed.getMessage());
        IllegalArgumentException noCa = assertThrows(IllegalArgumentException.class,
                () -> EtcdGateway.builder().endpoints(List.of(URI.create("https://127.0.0.1:2379")))
                        .tls(java.nio.file.Path.of("/nonexistent/ca.pem"), null, null).build());
        assertTrue(noCa.getMessage().contains("/nonexistent/ca.pem"), noCa.getMessage());
    }

    /** A server that answers every request with 404 and a plain-text body, as a web server or gRPC-only proxy would. */
    private static void answer404(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                in.read(buf);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
                        + "Connection: close\r\n\r\nnot found").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (java.io.IOException e) {
                return;
            }
        }
    }
}
