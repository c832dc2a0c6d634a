package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerSignatures;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The publisher signs what it puts; a watch that requires signatures applies it and rejects an unsigned put. */
@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SignedPublishTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    EtcdFixture etcd;

    @Test
    void aSignedPublishIsAppliedAndAnUnsignedOneRejectedByASignedWatch() throws Exception {
        String base = uniquePrefix("signed");
        String key = base + "/trigger";
        WatchSpec w = WatchSpec.builder("signed").prefix(base).key("/trigger").template("image").action("record")
                .verify(TriggerSignatures.builder().hmacKey("ci", SECRET).build()).build();
        Recording.RecordingAction action = new Recording.RecordingAction();
        try (TestRunner r = new TestRunner(etcd.client(), "r1", base, w, action, null).start()) {
            TriggerPublisher signed = TriggerPublisher.builder(etcd.client()).statusPrefix(base + "/status")
                    .signer(TriggerSignatures.Signer.hmac("ci", SECRET), Duration.ofMinutes(5)).build();
            TriggerPublisher plain = TriggerPublisher.builder(etcd.client()).statusPrefix(base + "/status").build();

            PublishResult ok = signed.publishAndAwait(key, value(1), Duration.ofSeconds(30));
            assertEquals(Optional.of(Outcome.Kind.APPLIED), ok.kind(), ok.reason());
            String stored = Etcd.text(etcd.client().getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS)
                    .getKvs().get(0).getValue());
            assertTrue(stored.startsWith("cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=")
                    && stored.endsWith("\n" + value(1)), stored);

            PublishResult bad = plain.publishAndAwait(key, value(2), Duration.ofSeconds(30));
            assertEquals(Optional.of(Outcome.Kind.REJECTED), bad.kind());
            assertTrue(bad.reason().contains("is not signed"), bad.reason());
            assertEquals(List.of("image=app:1"), action.calls().stream().map(Recording.RecordingAction.Call::plan).toList(),
                    "the action saw the payload without the header, and nothing of the unsigned put");

            assertThrows(IllegalArgumentException.class, () -> signed.publish(key, "{not json"),
                    "the payload is still checked to be JSON");
        }
    }
}
