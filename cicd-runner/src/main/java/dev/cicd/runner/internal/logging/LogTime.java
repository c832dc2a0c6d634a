package dev.cicd.runner.internal.logging;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A log line's time, {@code 2026-11-27T14:02:17.843Z} (or {@code +01:00}), written by hand: the same text as
 * {@code DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")}, without the ~20 ms the formatter
 * machinery costs on the first log line of every short-lived command.
 */
final class LogTime {

    /** The zone, or null until the first line: looking up the system's zone loads its rules (~10 ms). */
    private volatile ZoneId zone;

    LogTime(ZoneId zone) {
        this.zone = zone;
    }

    /** The system's default zone, looked up when the first line is written (a command that logs nothing never does). */
    static LogTime systemDefault() {
        return new LogTime(null);
    }

    void append(StringBuilder b, Instant t) {
        ZoneId zone = this.zone;
        if (zone == null) {
            zone = ZoneId.systemDefault();
            this.zone = zone;
        }
        ZoneOffset offset = zone instanceof ZoneOffset o ? o : zone.getRules().getOffset(t);
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), offset);
        int year = d.getYear();
        if (year < 0 || year > 9999) {
            b.append(d);     // outside yyyy: never on a real clock
        } else {
            pad(b, year, 4).append('-');
            pad(b, d.getMonthValue(), 2).append('-');
            pad(b, d.getDayOfMonth(), 2).append('T');
            pad(b, d.getHour(), 2).append(':');
            pad(b, d.getMinute(), 2).append(':');
            pad(b, d.getSecond(), 2).append('.');
            pad(b, d.getNano() / 1_000_000, 3);
        }
        int total = offset.getTotalSeconds();
        if (total == 0) {
            b.append('Z');
            return;
        }
        int abs = Math.abs(total);
        b.append(total < 0 ? '-' : '+');
        pad(b, abs / 3600, 2).append(':');
        pad(b, abs / 60 % 60, 2);     // seconds of an offset are left out, as XXX does
    }

    String format(Instant t) {
        StringBuilder b = new StringBuilder(29);
        append(b, t);
        return b.toString();
    }

    private static StringBuilder pad(StringBuilder b, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            b.append('0');
        }
        return b.append(s);
    }
}
