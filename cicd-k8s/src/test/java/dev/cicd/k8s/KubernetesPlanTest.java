package dev.cicd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class KubernetesPlanTest {

    @Test
    void parsesEveryStepTypeWithItsFields() {
        KubernetesPlan plan = KubernetesPlan.parse("""
                onFailure: undo
                steps:
                  - setImage: {namespace: "ns-demo1-dev", deployment: "demo1-gateway", container: "gateway",
                               image: "registry.example.com:5000/demo1-gateway:v7", changeCause: "ci build 7"}
                  - waitForRollout: {namespace: "ns-demo1-dev", deployment: "demo1-gateway", timeout: "1m30s"}
                  - rolloutHistory: {namespace: "ns-demo1-dev", deployment: "demo1-gateway"}
                  - rolloutUndo: {namespace: "ns-demo1-dev", deployment: "demo1-gateway", toRevision: 3}
                  - rolloutUndo: {namespace: "ns-demo1-dev", deployment: "demo1-gateway"}
                  - apply: {path: "manifests/demo", namespace: "ns-demo1-dev"}
                """);
        assertEquals(Optional.of(OnFailure.UNDO), plan.onFailure());
        assertEquals(6, plan.steps().size());
        assertEquals(new Step.SetImage("ns-demo1-dev", "demo1-gateway", "gateway",
                "registry.example.com:5000/demo1-gateway:v7", Optional.of("ci build 7")), plan.steps().get(0));
        assertEquals(new Step.WaitForRollout("ns-demo1-dev", "demo1-gateway", Optional.of(Duration.ofSeconds(90))),
                plan.steps().get(1));
        assertInstanceOf(Step.RolloutHistory.class, plan.steps().get(2));
        assertEquals(OptionalLong.of(3), ((Step.RolloutUndo) plan.steps().get(3)).toRevision());
        assertEquals(OptionalLong.empty(), ((Step.RolloutUndo) plan.steps().get(4)).toRevision());
        assertEquals(new Step.Apply(Optional.of("manifests/demo"), Optional.empty(), Optional.of("ns-demo1-dev")),
                plan.steps().get(5));
    }

    @Test
    void applyWaitIsTrueOrFalseAndDefaultsToFalse() {
        KubernetesPlan plan = KubernetesPlan.parse("""
                steps:
                  - apply: {path: "ns/app/", namespace: "ns", wait: true}
                  - apply: {path: "ns/app/", wait: "false"}
                  - apply: {path: "ns/app/"}
                """);
        assertEquals(List.of(true, false, false),
                plan.steps().stream().map(s -> ((Step.Apply) s).waitForRollouts()).toList());
        CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - apply: {path: \"ns/app/\", wait: \"yes\"}\n"));
        assertEquals(CicdException.Code.INVALID_FIELD, e.code());
        assertTrue(e.getMessage().contains("apply.wait must be true or false, was 'yes'"), e.getMessage());
    }

    @Test
    void acceptsABareListOfSteps() {
        KubernetesPlan plan = KubernetesPlan.parse("""
                - rolloutHistory: {namespace: "a", deployment: "b"}
                """);
        assertEquals(1, plan.steps().size());
        assertEquals(Optional.empty(), plan.onFailure());
    }

    @Test
    void invalidNamespaceIsNamedWithFieldAndValue() {
        CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - rolloutHistory: {namespace: "Bad_NS", deployment: "b"}
                """));
        assertEquals(CicdException.Code.INVALID_FIELD, e.code());
        assertTrue(e.getMessage().contains("step 1 (rolloutHistory)"), e.getMessage());
        assertTrue(e.getMessage().contains("rolloutHistory.namespace"), e.getMessage());
        assertTrue(e.getMessage().contains("'Bad_NS'"), e.getMessage());
    }

    @Test
    void shellInjectionInTheImageIsAnInvalidField() {
        for (String tag : new String[] {"v1; rm -rf /", "$(id)", "v1`id`", "v1 && curl x", "v1\nimage: evil"}) {
            String yaml = "steps:\n  - setImage: {namespace: \"a\", deployment: \"b\", container: \"c\", image: "
                    + jsonString("registry.example.com/b:" + tag) + "}\n";
            CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(yaml), tag);
            assertEquals(CicdException.Code.INVALID_FIELD, e.code(), tag);
            assertTrue(e.getMessage().contains("setImage.image"), e.getMessage());
        }
    }

    @Test
    void unknownStepTypeUnknownFieldAndUnknownPlanKeyAreBadPayload() {
        assertEquals(CicdException.Code.BAD_PAYLOAD, assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - deleteEverything: {namespace: "a"}
                """)).code());
        CicdException field = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - rolloutHistory: {namespace: "a", deployment: "b", command: "sh"}
                """));
        assertTrue(field.getMessage().contains("unknown field 'command'"), field.getMessage());
        assertEquals(CicdException.Code.BAD_PAYLOAD, assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                script: "rm -rf /"
                steps: []
                """)).code());
    }

    @Test
    void duplicateKeysAreRejectedSoALaterValueCannotOverrideAnEarlierOne() {
        CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - rolloutHistory:
                      namespace: "allowed"
                      deployment: "b"
                      namespace: "kube-system"
                """));
        assertEquals(CicdException.Code.BAD_PAYLOAD, e.code());
        assertTrue(e.getMessage().contains("namespace"), e.getMessage());
    }

    @Test
    void unquotedNumbersAndMapsWhereAStringBelongsAreRejected() {
        CicdException number = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - setImage: {namespace: "a", deployment: "b", container: "c", image: 1.10}
                """));
        assertTrue(number.getMessage().contains("must be a string"), number.getMessage());
        CicdException map = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - rolloutHistory: {namespace: {x: 1}, deployment: "b"}
                """));
        assertTrue(map.getMessage().contains("rolloutHistory.namespace must be a string"), map.getMessage());
    }

    @Test
    void emptyPlansAndBadShapesAreRejected() {
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(""));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse("steps: []"));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse("just a string"));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse("steps:\n  - {a: 1, b: 2}\n"));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse("steps: [ unclosed"));
    }

    @Test
    void applyNeedsExactlyOneOfPathAndManifest() {
        CicdException both = assertThrows(CicdException.class, () -> KubernetesPlan.parse("""
                steps:
                  - apply: {path: "a", manifest: "kind: ConfigMap"}
                """));
        assertTrue(both.getMessage().contains("exactly one of apply.path and apply.manifest"), both.getMessage());
        assertThrows(CicdException.class, () -> KubernetesPlan.parse("steps:\n  - apply: {namespace: \"a\"}\n"));
    }

    @Test
    void waitTimeoutMustBeAPositiveDuration() {
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - waitForRollout: {namespace: \"a\", deployment: \"b\", timeout: \"soon\"}\n"));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - waitForRollout: {namespace: \"a\", deployment: \"b\", timeout: \"0s\"}\n"));
        KubernetesPlan p = KubernetesPlan.parse(
                "steps:\n  - waitForRollout: {namespace: \"a\", deployment: \"b\", timeout: 45}\n");
        assertEquals(Optional.of(Duration.ofSeconds(45)), ((Step.WaitForRollout) p.steps().get(0)).timeout());
    }

    @Test
    void waitTimeoutTakesTheConfigFilesDurationGrammar() {
        for (String[] t : new String[][] {{"5h", "PT5H"}, {"1h30m", "PT1H30M"}, {"1m30s", "PT1M30S"}, {"PT5M", "PT5M"},
                {"250ms", "PT0.25S"}, {"0d2h", "PT2H"}, {"0D6H", "PT6H"}}) {
            KubernetesPlan p = KubernetesPlan.parse(wait(t[0]));
            assertEquals(Optional.of(Duration.parse(t[1])), ((Step.WaitForRollout) p.steps().get(0)).timeout(), t[0]);
        }
        // 7d is a duration here as in the config file; it is only too long for a wait (at most 6h)
        CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(wait("7d")));
        assertTrue(e.getMessage().contains("must be positive and at most 6h"), e.getMessage());
        e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(wait("7days")));
        assertTrue(e.getMessage().endsWith("waitForRollout.timeout: '7days' is not a duration (use e.g. 500ms, 10s, 5m, 1h,"
                + " 7d or PT5M)"), e.getMessage());
        e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - waitForRollout: {namespace: \"a\", deployment: \"b\", timeout: [1]}\n"));
        assertTrue(e.getMessage().endsWith("waitForRollout.timeout: '[1]' is not a duration (use e.g. 500ms, 10s, 5m, 1h,"
                + " 7d or PT5M)"), e.getMessage());
    }

    private static String wait(String timeout) {
        return "steps:\n  - waitForRollout: {namespace: \"a\", deployment: \"b\", timeout: \"" + timeout + "\"}\n";
    }

    @Test
    void undoToRevisionMustBePositive() {
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - rolloutUndo: {namespace: \"a\", deployment: \"b\", toRevision: 0}\n"));
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(
                "steps:\n  - rolloutUndo: {namespace: \"a\", deployment: \"b\", toRevision: \"two\"}\n"));
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
