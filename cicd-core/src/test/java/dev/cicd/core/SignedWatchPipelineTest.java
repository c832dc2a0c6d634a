package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.TriggerSignatures.Signer;
import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A watch that requires signatures, through the pipeline: verification comes before rendering. */
@Timeout(60)
class SignedWatchPipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final Signer CI = Signer.hmac("ci", SECRET);

    @TempDir
    Path tmp;

    private String signed(String key, String payload) {
        return new String(TriggerSignatures.sign(key, payload.getBytes(StandardCharsets.UTF_8), CI,
                Instant.now().plusSeconds(300)), StandardCharsets.UTF_8);
    }

    @Test
    void onlyVerifiedValuesRenderAndTemplatesAndActionsSeeThePayloadWithoutTheHeader() throws Exception {
        Path out = tmp.resolve("out.txt");
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        Recorder recorder = new Recorder();
        WatchSpec w = WatchSpec.builder("app").prefix("/app").key("/trigger").key("/config").template("t")
                .verify(TriggerSignatures.builder().hmacKey("ci", SECRET).build()).build();
        // the template writes the value it sees, getv of the sibling key and the action's CICD_VALUE
        String template = "{% if key == '/app/trigger' %}printf '%s|%s|%s\\n' {{ value | sh }} "
                + "{{ getv('/config', 'none') | sh }} \"$CICD_VALUE\" >> " + out + "{% endif %}\n";
        try (Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", template)).sink(recorder)
                .workDir(tmp.resolve("work")).watch(w).action("shell", ShellAction.builder().build()).build()) {
            p.start();
            source.put("/app/config", signed("/app/config", "cfg1"));
            source.put("/app/trigger", signed("/app/trigger", "t1"));
            long unsigned = source.put("/app/trigger", "t2");
            String good = signed("/app/trigger", "t3");
            source.put("/app/trigger", good);
            long replay = source.put("/app/trigger", good);
            source.put("/app/config", "cfg-unsigned");
            source.put("/app/trigger", signed("/app/trigger", "t4"));
            List<Outcome> outcomes = recorder.await(7, WAIT);
            List<Outcome> trigger = outcomes.stream().filter(o -> o.event().key().equals("/app/trigger")).toList();
            assertEquals(List.of(Outcome.Kind.APPLIED, Outcome.Kind.REJECTED, Outcome.Kind.APPLIED, Outcome.Kind.REJECTED,
                    Outcome.Kind.APPLIED), trigger.stream().map(Outcome::kind).toList(), trigger.toString());
            assertTrue(trigger.get(1).reason().contains("revision " + unsigned + " is not signed"), trigger.get(1).reason());
            assertTrue(trigger.get(3).reason().contains("revision " + replay + " is a replay"), trigger.get(3).reason());
            // an unsigned value of another key is rejected and reads as absent
            assertEquals(List.of("t1|cfg1|t1", "t3|cfg1|t3", "t4|none|t4"), Files.readAllLines(out));
        }
    }
}
