package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLogTest {

    private static final Instant T0 = Instant.parse("2026-03-04T05:06:07.089Z");

    @TempDir
    Path tmp;

    private static Outcome outcome(String watch, long revision, Instant started, Outcome.Kind kind, String reason,
                                   Integer exit, String output) {
        TriggerEvent e = TriggerEvent.put(watch, "/cicd/" + watch + "/trigger", "{\"requestId\":\"req-9\"}", revision);
        return new Outcome(e, kind, reason, Optional.of("ab".repeat(32)),
                exit == null ? OptionalInt.empty() : OptionalInt.of(exit), output, Optional.of("req-9"),
                started, started.plusMillis(1500), Optional.empty());
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void oneFilePerRunNamedByStartTimeAndRevisionHoldingPlanOutputExitCodeAndOutcome() throws Exception {
        RunLog log = RunLog.builder().dir(tmp).clock(Clock.fixed(T0, ZoneOffset.UTC)).build();
        Path file = log.write(outcome("rollout", 12, T0, Outcome.Kind.FAILED, "exit code 2", 2, "boom\n"),
                "kubectl set image x\n").orElseThrow();
        assertEquals(tmp.resolve("rollout").resolve("20260304_050607_089-r12.log"), file);
        String text = Files.readString(file);
        assertTrue(text.contains("watch: rollout\n"), text);
        assertTrue(text.contains("key: /cicd/rollout/trigger\n"), text);
        assertTrue(text.contains("revision: 12\n"), text);
        assertTrue(text.contains("request-id: req-9\n"), text);
        assertTrue(text.contains("outcome: failed\n"), text);
        assertTrue(text.contains("reason: exit code 2\n"), text);
        assertTrue(text.contains("exit-code: 2\n"), text);
        assertTrue(text.contains("duration: PT1.5S\n"), text);
        assertTrue(text.contains("----- plan -----\nkubectl set image x\n----- output -----\nboom\n----- end -----\n"), text);
    }

    @Test
    void fileNamesUseTheClocksZone() {
        RunLog log = RunLog.builder().dir(tmp).clock(Clock.fixed(T0, ZoneId.of("Asia/Shanghai"))).build();
        Path file = log.write(outcome("w", 3, T0, Outcome.Kind.APPLIED, "", 0, ""), "x").orElseThrow();
        assertEquals("20260304_130607_089-r3.log", file.getFileName().toString());
    }

    @Test
    void twoRunsOfTheSameRevisionInTheSameMillisecondGetTwoFiles() throws Exception {
        RunLog log = RunLog.builder().dir(tmp).clock(Clock.fixed(T0, ZoneOffset.UTC)).build();
        log.write(outcome("w", 5, T0, Outcome.Kind.APPLIED, "", 0, "a"), "x");
        log.write(outcome("w", 5, T0, Outcome.Kind.APPLIED, "", 0, "b"), "x");
        assertEquals(List.of("20260304_050607_089-r5-1.log", "20260304_050607_089-r5.log"), names(tmp.resolve("w")));
    }

    @Test
    void retentionKeepsTheNewestFilesPerWatch() throws Exception {
        RunLog log = RunLog.builder().dir(tmp).maxFiles(3).maxAge(null).clock(Clock.fixed(T0, ZoneOffset.UTC)).build();
        for (int i = 1; i <= 5; i++) {
            log.write(outcome("a", i, T0.plusSeconds(i), Outcome.Kind.APPLIED, "", 0, ""), "x");
        }
        log.write(outcome("b", 1, T0, Outcome.Kind.APPLIED, "", 0, ""), "x");
        assertEquals(List.of("20260304_050610_089-r3.log", "20260304_050611_089-r4.log", "20260304_050612_089-r5.log"),
                names(tmp.resolve("a")));
        assertEquals(1, names(tmp.resolve("b")).size(), "count is per watch");
    }

    @Test
    void retentionKeepsAWatchsRunLogsUnderMaxBytesNewestFirst() throws Exception {
        RunLog log = RunLog.builder().dir(tmp).maxFiles(0).maxAge(null).maxBytes(5_000)
                .clock(Clock.fixed(T0, ZoneOffset.UTC)).build();
        for (int i = 1; i <= 5; i++) {
            log.write(outcome("a", i, T0.plusSeconds(i), Outcome.Kind.APPLIED, "", 0, "o".repeat(2_000)), "x");
        }
        List<String> kept = names(tmp.resolve("a"));
        assertEquals(List.of("20260304_050611_089-r4.log", "20260304_050612_089-r5.log"), kept,
                "two files of ~2.3 kB fit in 5,000 bytes; the oldest go first");
    }

    @Test
    void retentionDeletesFilesOlderThanMaxAgeButNotOtherFiles() throws Exception {
        MutableClock clock = new MutableClock(T0);
        RunLog log = RunLog.builder().dir(tmp).maxAge(Duration.ofMinutes(10)).clock(clock).build();
        log.write(outcome("w", 1, T0, Outcome.Kind.APPLIED, "", 0, ""), "x");
        log.write(outcome("w", 2, T0.plus(Duration.ofMinutes(5)), Outcome.Kind.APPLIED, "", 0, ""), "x");
        Files.writeString(tmp.resolve("w").resolve("notes.txt"), "mine");
        clock.now = T0.plus(Duration.ofMinutes(12));
        assertEquals(1, log.prune());
        assertEquals(List.of("20260304_051107_089-r2.log", "notes.txt"), names(tmp.resolve("w")));
        clock.now = T0.plus(Duration.ofMinutes(16));
        log.write(outcome("w", 3, clock.now, Outcome.Kind.APPLIED, "", 0, ""), "x");
        assertEquals(List.of("20260304_052207_089-r3.log", "notes.txt"), names(tmp.resolve("w")),
                "retention runs after each write");
    }

    @Test
    void anUnwritableDirectoryGivesEmptyInsteadOfThrowing() throws Exception {
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        RunLog log = RunLog.builder().dir(notADir).build();
        assertFalse(log.write(outcome("w", 1, T0, Outcome.Kind.APPLIED, "", 0, ""), "x").isPresent());
        assertEquals(0, log.prune());
    }

    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
