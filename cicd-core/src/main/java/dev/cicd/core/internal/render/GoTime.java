package dev.cicd.core.internal.render;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;

/**
 * Go's time formatting for {@code datetime} ({@code time.Now} in confd): how a time prints
 * ({@code 2006-01-02 15:04:05.999999999 -0700 MST}) and {@code Format} with a Go layout
 * ({@code "Jan 2, 2006 at 3:04pm (MST)"}), whose reference time's parts stand for the time's.
 */
final class GoTime {

    /** The layout elements, longest first where one starts another. */
    private static final List<String> ELEMENTS = List.of("January", "Jan", "Monday", "Mon", "MST", "2006", "002",
            "-07:00:00", "-070000", "-07:00", "-0700", "-07", "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
            "01", "02", "03", "04", "05", "06", "_2", "15", "PM", "pm", "1", "2", "3", "4", "5");

    private GoTime() {
    }

    /** {@code time.Time.String()} without the monotonic clock reading. */
    static String string(ZonedDateTime t) {
        return format(t, "2006-01-02 15:04:05.999999999 -0700 MST");
    }

    static String format(ZonedDateTime t, String layout) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < layout.length()) {
            if ((layout.charAt(i) == '.' || layout.charAt(i) == ',') && i + 1 < layout.length()
                    && (layout.charAt(i + 1) == '0' || layout.charAt(i + 1) == '9')) {
                char d = layout.charAt(i + 1);
                int j = i + 1;
                while (j < layout.length() && layout.charAt(j) == d) {
                    j++;
                }
                if (j == layout.length() || !Character.isDigit(layout.charAt(j))) {
                    String frac = String.format("%09d", t.getNano()).substring(0, Math.min(9, j - i - 1));
                    if (d == '9') {
                        frac = frac.replaceAll("0+$", "");
                    }
                    if (!frac.isEmpty()) {
                        out.append(layout.charAt(i)).append(frac);
                    }
                    i = j;
                    continue;
                }
            }
            String element = null;
            for (String e : ELEMENTS) {
                if (layout.startsWith(e, i)) {
                    element = e;
                    break;
                }
            }
            if (element == null) {
                out.append(layout.charAt(i++));
                continue;
            }
            out.append(value(t, element));
            i += element.length();
        }
        return out.toString();
    }

    private static String value(ZonedDateTime t, String e) {
        int offset = t.getOffset().getTotalSeconds();
        String sign = offset < 0 ? "-" : "+";
        int abs = Math.abs(offset);
        String hh = two(abs / 3600);
        String mm = two(abs / 60 % 60);
        String ss = two(abs % 60);
        return switch (e) {
            case "January" -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case "Jan" -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case "Monday" -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case "Mon" -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case "MST" -> zone(t);
            case "2006" -> Integer.toString(t.getYear());
            case "06" -> two(t.getYear() % 100);
            case "002" -> String.format("%03d", t.getDayOfYear());
            case "01" -> two(t.getMonthValue());
            case "1" -> Integer.toString(t.getMonthValue());
            case "02" -> two(t.getDayOfMonth());
            case "_2" -> String.format("%2d", t.getDayOfMonth());
            case "2" -> Integer.toString(t.getDayOfMonth());
            case "15" -> two(t.getHour());
            case "03" -> two(hour12(t));
            case "3" -> Integer.toString(hour12(t));
            case "04" -> two(t.getMinute());
            case "4" -> Integer.toString(t.getMinute());
            case "05" -> two(t.getSecond());
            case "5" -> Integer.toString(t.getSecond());
            case "PM" -> t.getHour() < 12 ? "AM" : "PM";
            case "pm" -> t.getHour() < 12 ? "am" : "pm";
            default -> {
                if (e.startsWith("Z") && offset == 0) {
                    yield "Z";
                }
                String tail = e.substring(e.startsWith("Z") ? 1 : 0);
                yield switch (tail) {
                    case "-07:00:00" -> sign + hh + ":" + mm + ":" + ss;
                    case "-070000" -> sign + hh + mm + ss;
                    case "-07:00" -> sign + hh + ":" + mm;
                    case "-0700", "070000", "0700" -> sign + hh + mm;
                    case "07:00:00" -> sign + hh + ":" + mm + ":" + ss;
                    case "07:00" -> sign + hh + ":" + mm;
                    default -> sign + hh;
                };
            }
        };
    }

    private static String zone(ZonedDateTime t) {
        String name = t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
        if (t.getZone().getId().equals("Z") || t.getZone().getId().equals("UTC") || t.getOffset().getTotalSeconds() == 0
                && name.equals("Z")) {
            return "UTC";
        }
        if (name.startsWith("GMT") || name.startsWith("UTC") && name.length() > 3 || name.matches("[+-].*")) {
            int o = t.getOffset().getTotalSeconds();
            return (o < 0 ? "-" : "+") + two(Math.abs(o) / 3600) + (Math.abs(o) % 3600 == 0 ? "" : two(Math.abs(o) / 60 % 60));
        }
        java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter.ofPattern("zzz", Locale.ENGLISH);
        return t.format(f);
    }

    private static int hour12(ZonedDateTime t) {
        int h = t.getHour() % 12;
        return h == 0 ? 12 : h;
    }

    private static String two(int n) {
        return n < 10 ? "0" + n : Integer.toString(n);
    }
}
