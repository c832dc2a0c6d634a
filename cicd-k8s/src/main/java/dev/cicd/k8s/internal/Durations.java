package dev.cicd.k8s.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints durations the way plans and kubectl write them: {@code 300ms}, {@code 30s}, {@code 5m}, {@code 1h30m}. */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private Durations() {
    }

    /**
     * {@code 1h30m}, {@code 90s}, {@code 250ms}, an ISO-8601 {@code PT5M}, or a bare number of seconds.
     *
     * @throws IllegalArgumentException naming the text when it is none of these
     */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("a duration like 30s, 5m or 1h30m is required, was '" + text + "'");
        }
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not a duration: '" + text + "'", e);
            }
        }
        if (t.chars().allMatch(Character::isDigit) && t.length() <= 9) {
            return Duration.ofSeconds(Long.parseLong(t));
        }
        Matcher m = PART.matcher(t);
        Duration d = Duration.ZERO;
        int pos = 0;
        while (pos < t.length() && m.find(pos) && m.start() == pos) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            pos = m.end();
        }
        if (pos != t.length()) {
            throw new IllegalArgumentException("not a duration (use e.g. 30s, 5m, 1h30m): '" + text + "'");
        }
        return d;
    }

    /** {@code 1.234s}, {@code 250ms}, {@code 5m0s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        long s = d.getSeconds();
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }
}
