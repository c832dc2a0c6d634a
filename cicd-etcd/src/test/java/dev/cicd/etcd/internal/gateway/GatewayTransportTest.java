package dev.cicd.etcd.internal.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.KvTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gateway client against a scripted HTTP server: what etcd does rarely, on purpose. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayTransportTest {

    private static final String PUT_OK = "{\"header\":{\"revision\":\"42\"}}";

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static GatewayTransport client(ScriptedHttpServer s, String user) {
        return new GatewayTransport(List.of(s.uri()), user, user == null ? null : "pw", null, Duration.ofSeconds(5));
    }

    @Test
    void anExpiredTokenIsFetchedAgainOnceAndTheRequestRepeated() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        try (ScriptedHttpServer s = new ScriptedHttpServer(r -> switch (r.path()) {
            case "/v3/auth/authenticate" -> ScriptedHttpServer.json(200, "{\"token\":\"t" + tokens.incrementAndGet() + "\"}");
            default -> "t1".equals(r.header("Authorization"))
                    ? ScriptedHttpServer.json(401, "{\"error\":\"etcdserver: invalid auth token\",\"code\":16}")
                    : ScriptedHttpServer.json(200, PUT_OK);
        }); GatewayTransport t = client(s, "ci")) {
            assertEquals(42, t.put("/k", "v".getBytes(StandardCharsets.UTF_8)));
            assertEquals("/v3/auth/authenticate", s.next().path());
            assertEquals("t1", s.next().header("Authorization"));
            assertEquals("/v3/auth/authenticate", s.next().path());
            ScriptedHttpServer.Request put = s.next();
            assertEquals("t2", put.header("Authorization"));
            assertTrue(put.body().contains(b64("/k")) && put.body().contains(b64("v")), put.body());
        }
    }

    @Test
    void aRefusedRequestNamesTheEndpointTheStatusAndEtcdsMessage() throws Exception {
        try (ScriptedHttpServer s = new ScriptedHttpServer(r -> ScriptedHttpServer.json(403,
                "{\"error\":\"etcdserver: permission denied\",\"code\":7,\"message\":\"etcdserver: permission denied\"}"));
             GatewayTransport t = client(s, null)) {
            CicdException e = assertThrows(CicdException.class, () -> t.count("/cicd/.election/g/"));
            assertTrue(e.getMessage().contains(s.uri().toString()) && e.getMessage().contains("HTTP 403")
                    && e.getMessage().contains("permission denied"), e.getMessage());
        }
    }

    @Test
    void aKeptAliveConnectionTheServerClosedIsRetriedForAReadButNotForAPut() throws Exception {
        try (ScriptedHttpServer s = new ScriptedHttpServer(r -> r.path().equals("/v3/kv/range")
                ? ScriptedHttpServer.json(200, "{\"header\":{\"revision\":\"7\"},\"count\":\"3\"}")
                : ScriptedHttpServer.json(200, PUT_OK)); GatewayTransport t = client(s, null)) {
            assertEquals(3, t.count("/a/"));
            s.dropConnections();
            assertEquals(3, t.count("/a/"));      // the first try fails on the dead connection; the second goes through
            assertEquals(1, s.next().connection());
            assertEquals(2, s.next().connection());
            assertEquals(42, t.put("/k", new byte[] {1}));
            s.next();
            s.dropConnections();
            // a put on a connection that died: it may have been applied, so it is not repeated
            assertThrows(CicdException.class, () -> t.put("/k", new byte[] {2}));
        }
    }

    @Test
    void aChunkedWatchStreamDeliversPutsLeavesOutDeletesAndEndsOnCompaction() throws Exception {
        String created = "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true}}\n";
        String events = "{\"result\":{\"header\":{\"revision\":\"10\"},\"events\":[{\"kv\":{\"key\":\"" + b64("/s/w/10")
                + "\",\"value\":\"" + b64("{\"a\":1}") + "\",\"mod_revision\":\"10\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\""
                + b64("/s/w/old") + "\"}}]}}\n";
        String compacted = "{\"result\":{\"header\":{\"revision\":\"11\"},\"canceled\":true,\"compact_revision\":\"8\"}}\n";
        try (ScriptedHttpServer s = new ScriptedHttpServer(r -> r.path().equals("/v3/watch")
                ? ScriptedHttpServer.chunked(created, events.substring(0, 40), events.substring(40), compacted)
                : ScriptedHttpServer.json(200, PUT_OK)); GatewayTransport t = client(s, null)) {
            List<KvTransport.Kv> seen = new CopyOnWriteArrayList<>();
            CountDownLatch ended = new CountDownLatch(1);
            KvTransport.End[] how = new KvTransport.End[1];
            t.watch("/s/", 5, new KvTransport.WatchListener() {
                @Override
                public void puts(List<KvTransport.Kv> puts) {
                    seen.addAll(puts);
                }

                @Override
                public void ended(KvTransport.End end, Throwable cause) {
                    how[0] = end;
                    ended.countDown();
                }
            });
            assertTrue(ended.await(10, TimeUnit.SECONDS));
            assertEquals(List.of(new KvTransport.Kv("/s/w/10", "{\"a\":1}")), seen);
            assertEquals(KvTransport.End.COMPACTED, how[0]);
            ScriptedHttpServer.Request create = s.next();
            assertEquals("/v3/watch", create.path());
            assertTrue(create.body().contains("\"start_revision\":5") && create.body().contains(b64("/s/"))
                    && create.body().contains(b64("/s0")), create.body());
        }
    }

    @Test
    void closingAWatchEndsItWithoutTellingTheListener() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        try (ScriptedHttpServer s = new ScriptedHttpServer(r -> {
            asked.countDown();
            // the stream's head and the created message, then nothing more: the watch stays open
            return ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + "28\r\n"
                    + "{\"result\":{\"header\":{},\"created\":true}}\n" + "\r\n").getBytes(StandardCharsets.UTF_8);
        }); GatewayTransport t = client(s, null)) {
            KvTransport.End[] how = new KvTransport.End[1];
            KvTransport.Watching w = t.watch("/s/", 1, new KvTransport.WatchListener() {
                @Override
                public void puts(List<KvTransport.Kv> puts) {
                }

                @Override
                public void ended(KvTransport.End end, Throwable cause) {
                    how[0] = end;
                }
            });
            assertTrue(asked.await(10, TimeUnit.SECONDS));
            w.close();
            Thread.sleep(200);
            assertNull(how[0]);
        }
    }
}
