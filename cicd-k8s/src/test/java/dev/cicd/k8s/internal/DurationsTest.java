package dev.cicd.k8s.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesKubectlStyleIsoAndBareSeconds() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("PT5M"));
        assertEquals(Duration.ofSeconds(12), Durations.parse("12"));
    }

    @Test
    void rejectsAnythingElse() {
        for (String s : new String[] {"", "5 m", "5x", "m5", "-5s", "1h;rm"}) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(s), s);
        }
    }

    @Test
    void formatsShortAndLongDurations() {
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("5m0s", Durations.format(Duration.ofMinutes(5)));
    }
}
