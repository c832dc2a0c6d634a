package dev.cicd.testkit.internal.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A port taken between choosing it and starting etcd: the fixture moves to new ports. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PortConflictTest {

    @Test
    void aClientPortTakenBeforeTheStartIsReplacedByAFreeOne(@TempDir Path dir) throws Exception {
        Path binary = BackendSelection.locate(System.getenv(), Path.of("/usr/bin/etcd")).orElseThrow();
        Path fixtureDir = Files.createDirectories(dir.resolve("etcd-conflict"));
        LocalEtcdMembers members = new LocalEtcdMembers(binary, 1, fixtureDir, "conflict-test");
        URI taken = members.clientEndpoint(0);

        try (ServerSocket squatter = new ServerSocket(taken.getPort(), 1, InetAddress.getLoopbackAddress());
             EtcdFixtureImpl fixture = EtcdFixtureImpl.start(members, fixtureDir, Duration.ofSeconds(20))) {
            assertTrue(squatter.isBound());
            assertNotEquals(taken, fixture.endpoints().get(0));
            assertTrue(Files.readString(fixture.logFile(0)).toLowerCase(Locale.ROOT).contains("address already in use"));
            KV kv = fixture.client().getKVClient();
            ByteSequence key = ByteSequence.from("/k", StandardCharsets.UTF_8);
            kv.put(key, key).get(10, TimeUnit.SECONDS);
            assertEquals(1, kv.get(key).get(10, TimeUnit.SECONDS).getCount());
        }
    }
}
