package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one duration grammar of config files and plans. */
class DurationsTest {

    @Test
    void parsesUnitsAndTheirCombinations() {
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ofDays(7), Durations.parse("7d"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
        assertEquals(Duration.ofDays(1).plusHours(12).plusMillis(5), Durations.parse("1d12h5ms"));
    }

    @Test
    void parsesIsoBareSecondsAnyCaseAndBlanks() {
        assertEquals(Duration.ofMinutes(5), Durations.parse("PT5M"));
        assertEquals(Duration.ofDays(1), Durations.parse("P1D"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("pt5m"));
        assertEquals(Duration.ofSeconds(12), Durations.parse("12"));
        assertEquals(Duration.ofSeconds(1234567890123L), Durations.parse("1234567890123"));
        assertEquals(Duration.ofMinutes(5), Durations.parse(" 5M "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "5 m", "5x", "m5", "-5s", "1h;rm", "5m ago", "1.5s", "P", "PT", "99999999999999999999s",
            "9999999999999999d"})
    void rejectsAnythingElseNamingTheTextAndTheForms(String s) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(s));
        assertEquals("'" + s + "' is not a duration (use e.g. 500ms, 10s, 5m, 1h, 7d or PT5M)", e.getMessage());
    }

    @Test
    void nullIsNotADuration() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parse(null)).getMessage()
                .startsWith("a duration is required"));
    }

    @Test
    void formatsShortAndLongDurations() {
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
        assertEquals("1.5s", Durations.format(Duration.ofMillis(1500)));
        assertEquals("5m0s", Durations.format(Duration.ofMinutes(5)));
        assertEquals("1h30m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("168h0m", Durations.format(Duration.ofDays(7)));
    }
}
