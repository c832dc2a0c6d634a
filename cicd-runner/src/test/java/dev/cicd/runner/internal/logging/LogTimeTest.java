package dev.cicd.runner.internal.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogTimeTest {

    @Test
    void writesWhatTheDateTimeFormatterPatternWritesInEveryKindOfZone() {
        Random random = new Random(7);
        for (ZoneId zone : List.of(ZoneOffset.UTC, ZoneId.of("Europe/Berlin"), ZoneId.of("America/St_Johns"),
                ZoneId.of("Asia/Kolkata"), ZoneOffset.ofHoursMinutesSeconds(-3, -20, -15), ZoneId.of("Pacific/Chatham"))) {
            DateTimeFormatter expected = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(zone);
            LogTime time = new LogTime(zone);
            for (int i = 0; i < 2_000; i++) {
                Instant t = Instant.ofEpochMilli(random.nextLong(253_402_200_000_000L));   // years 1970..9999
                assertEquals(expected.format(t), time.format(t), zone + " " + t);
            }
            Instant leapDay = Instant.parse("2028-02-29T23:59:59.999Z");
            assertEquals(expected.format(leapDay), time.format(leapDay));
        }
    }
}
