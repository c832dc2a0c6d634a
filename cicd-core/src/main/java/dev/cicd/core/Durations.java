package dev.cicd.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them, in the runner's config and in plans alike: {@code 500ms}, {@code 10s},
 * {@code 5m}, {@code 2h}, {@code 7d}, combinations like {@code 1h30m} or {@code 1m30s}, ISO-8601
 * ({@code PT5M}, {@code P1D}), or a bare number of seconds. Case and surrounding blanks do not matter.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("((\\d+)(ms|s|m|h|d))+");

    private Durations() {
    }

    /**
     * Parses a duration in any of the forms above. Signs are not part of the unit form; an ISO-8601
     * text may carry one, so callers that need a positive duration check it.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("a duration is required (e.g. 500ms, 10s, 5m, 1h, 7d)");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(s));
            }
            if (s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (!WHOLE.matcher(s).matches()) {
                throw bad(text);
            }
            Duration d = Duration.ZERO;
            Matcher m = PART.matcher(s);
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                d = d.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            }
            return d;
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw bad(text); // not ISO-8601, or too many digits for a Duration
        }
    }

    /** For people, like kubectl: {@code 250ms}, {@code 1.5s}, {@code 5m0s}, {@code 168h0m}. */
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

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms, 10s, 5m, 1h, 7d or PT5M)");
    }
}
