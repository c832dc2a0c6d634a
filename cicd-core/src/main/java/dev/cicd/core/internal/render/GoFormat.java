package dev.cicd.core.internal.render;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Go's {@code fmt.Sprintf}, {@code Sprint} and {@code Sprintln} for the values templates hold, as confd's
 * {@code printf}, {@code print} and {@code println}: the verbs {@code %v %s %d %q %x %X %o %b %c %t %e %E
 * %f %F %g %G %%}, the flags {@code - + # 0 space}, width and precision (also {@code *}), and Go's
 * complaints in the output ({@code %!d(string=x)}, {@code %!s(MISSING)}, {@code %!(EXTRA int=1)}).
 */
final class GoFormat {

    private GoFormat() {
    }

    /** {@code fmt.Sprint}: operands side by side, a space between two when neither is text. */
    static String sprint(List<?> args) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0 && !(args.get(i) instanceof String) && !(args.get(i - 1) instanceof String)) {
                b.append(' ');
            }
            b.append(GoValues.fmtV(args.get(i)));
        }
        return b.toString();
    }

    /** {@code fmt.Sprintln}: operands separated by spaces, then a newline. */
    static String sprintln(List<?> args) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            b.append(i > 0 ? " " : "").append(GoValues.fmtV(args.get(i)));
        }
        return b.append('\n').toString();
    }

    /** {@code fmt.Sprintf}. */
    static String sprintf(String format, List<?> args) {
        StringBuilder out = new StringBuilder();
        int arg = 0;
        int i = 0;
        int n = format.length();
        while (i < n) {
            char c = format.charAt(i);
            if (c != '%') {
                out.append(c);
                i++;
                continue;
            }
            i++;
            if (i >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            Spec s = new Spec();
            for (; i < n; i++) {
                char f = format.charAt(i);
                if (f == '-') {
                    s.minus = true;
                } else if (f == '+') {
                    s.plus = true;
                } else if (f == '#') {
                    s.sharp = true;
                } else if (f == '0') {
                    s.zero = true;
                } else if (f == ' ') {
                    s.space = true;
                } else {
                    break;
                }
            }
            if (i < n && format.charAt(i) == '*') {
                i++;
                if (arg < args.size() && GoValues.asLong(args.get(arg)) != null) {
                    s.width = GoValues.asLong(args.get(arg++)).intValue();
                    if (s.width < 0) {
                        s.minus = true;
                        s.width = -s.width;
                    }
                } else {
                    out.append("%!(BADWIDTH)");
                    arg++;
                }
            } else {
                int start = i;
                while (i < n && Character.isDigit(format.charAt(i))) {
                    i++;
                }
                if (i > start) {
                    s.width = Integer.parseInt(format.substring(start, i));
                }
            }
            if (i < n && format.charAt(i) == '.') {
                i++;
                if (i < n && format.charAt(i) == '*') {
                    i++;
                    Long p = arg < args.size() ? GoValues.asLong(args.get(arg)) : null;
                    arg++;
                    if (p == null || p < 0) {
                        out.append("%!(BADPREC)");
                    } else {
                        s.prec = p.intValue();
                    }
                } else {
                    int start = i;
                    while (i < n && Character.isDigit(format.charAt(i))) {
                        i++;
                    }
                    s.prec = i > start ? Integer.parseInt(format.substring(start, i)) : 0;
                }
            }
            if (i >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            char verb = format.charAt(i++);
            if (verb == '%') {
                out.append('%');
                continue;
            }
            if (arg >= args.size()) {
                out.append("%!").append(verb).append("(MISSING)");
                continue;
            }
            out.append(one(verb, s, args.get(arg++)));
        }
        if (arg < args.size()) {
            out.append("%!(EXTRA ");
            for (int k = arg; k < args.size(); k++) {
                Object v = args.get(k);
                out.append(k > arg ? ", " : "").append(GoValues.typeName(v)).append('=').append(GoValues.fmtV(v));
            }
            out.append(')');
        }
        return out.toString();
    }

    private static final class Spec {
        boolean minus;
        boolean plus;
        boolean sharp;
        boolean zero;
        boolean space;
        int width = -1;
        int prec = -1;
    }

    private static String one(char verb, Spec s, Object v) {
        Long l = GoValues.asLong(v);
        boolean number = v instanceof Number;
        switch (verb) {
            case 'v' -> {
                if (number) {
                    return l != null ? pad(sign(Long.toString(l), s), s, true)
                            : pad(sign(GoValues.formatG(((Number) v).doubleValue()), s), s, true);
                }
                return pad(GoValues.fmtV(v), s, false);
            }
            case 's' -> {
                if (v instanceof String str) {
                    return pad(s.prec >= 0 ? runes(str, s.prec) : str, s, false);
                }
                if (v instanceof java.util.Collection<?> || v instanceof java.util.Map<?, ?>) {
                    return pad(GoValues.fmtV(v), s, false);
                }
                return bad(verb, v);
            }
            case 'q' -> {
                if (v instanceof String str) {
                    return pad(quote(str), s, false);
                }
                if (l != null) {
                    return pad("'" + new String(Character.toChars(l.intValue())) + "'", s, false);
                }
                return bad(verb, v);
            }
            case 'd', 'b', 'o', 'x', 'X', 'c' -> {
                if (l != null) {
                    return integer(verb, s, l);
                }
                if ((verb == 'x' || verb == 'X') && v instanceof String str) {
                    StringBuilder h = new StringBuilder(s.sharp ? (verb == 'x' ? "0x" : "0X") : "");
                    for (byte b : str.getBytes(StandardCharsets.UTF_8)) {
                        h.append(String.format(verb == 'x' ? "%02x" : "%02X", b & 0xff));
                    }
                    return pad(h.toString(), s, false);
                }
                return bad(verb, v);
            }
            case 'e', 'E', 'f', 'F', 'g', 'G' -> {
                if (!number) {
                    return bad(verb, v);
                }
                return pad(sign(floating(verb, s.prec, ((Number) v).doubleValue()), s), s, true);
            }
            case 't' -> {
                if (v instanceof Boolean b) {
                    return pad(b.toString(), s, false);
                }
                return bad(verb, v);
            }
            default -> {
                return bad(verb, v);
            }
        }
    }

    private static String bad(char verb, Object v) {
        return "%!" + verb + "(" + GoValues.typeName(v) + "=" + GoValues.fmtV(v) + ")";
    }

    private static String integer(char verb, Spec s, long l) {
        String digits;
        String prefix = "";
        long abs = Math.abs(l);
        switch (verb) {
            case 'b' -> digits = Long.toBinaryString(abs);
            case 'o' -> {
                digits = Long.toOctalString(abs);
                prefix = s.sharp ? "0" : "";
            }
            case 'x' -> {
                digits = Long.toHexString(abs);
                prefix = s.sharp ? "0x" : "";
            }
            case 'X' -> {
                digits = Long.toHexString(abs).toUpperCase(Locale.ROOT);
                prefix = s.sharp ? "0X" : "";
            }
            case 'c' -> {
                return pad(new String(Character.toChars((int) l)), s, false);
            }
            default -> digits = Long.toString(abs);
        }
        if (l == Long.MIN_VALUE) {
            digits = digits.replace("-", "");
        }
        if (s.prec >= 0) {
            if (s.prec == 0 && l == 0) {
                digits = "";
            }
            while (digits.length() < s.prec) {
                digits = "0" + digits;
            }
        }
        String body = prefix + digits;
        String sign = l < 0 ? "-" : s.plus ? "+" : s.space ? " " : "";
        if (s.zero && !s.minus && s.prec < 0 && s.width > 0) {
            StringBuilder b = new StringBuilder(body);
            while (b.length() + sign.length() < s.width) {
                b.insert(prefix.length(), '0');
            }
            return sign + b;
        }
        return pad(sign + body, s, false);
    }

    private static String floating(char verb, int prec, double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        switch (verb) {
            case 'f', 'F' -> {
                return new BigDecimal(d).setScale(prec < 0 ? 6 : prec, RoundingMode.HALF_EVEN).toPlainString();
            }
            case 'e', 'E' -> {
                String e = exponent(d, prec < 0 ? 6 : prec);
                return verb == 'E' ? e.toUpperCase(Locale.ROOT) : e;
            }
            default -> {
                String g;
                if (prec < 0) {
                    g = GoValues.formatG(d);
                } else {
                    int p = prec == 0 ? 1 : prec;
                    BigDecimal r = new BigDecimal(d).round(new java.math.MathContext(p, RoundingMode.HALF_EVEN));
                    int exp = r.precision() - r.scale() - 1;
                    if (exp < -4 || exp >= p) {
                        g = trimE(exponent(d, p - 1));
                    } else {
                        g = r.stripTrailingZeros().toPlainString();
                        if (r.signum() == 0) {
                            g = "0";
                        }
                    }
                }
                return verb == 'G' ? g.toUpperCase(Locale.ROOT) : g;
            }
        }
    }

    private static String exponent(double d, int prec) {
        if (d == 0) {
            return (prec > 0 ? "0." + "0".repeat(prec) : "0") + "e+00";
        }
        BigDecimal b = new BigDecimal(d).round(new java.math.MathContext(prec + 1, RoundingMode.HALF_EVEN));
        String digits = b.unscaledValue().abs().toString();
        while (digits.length() < prec + 1) {
            digits = digits + "0";
        }
        digits = digits.substring(0, prec + 1);
        int exp = b.precision() - b.scale() - 1;
        String mant = prec == 0 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (b.signum() < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "")
                + Math.abs(exp);
    }

    private static String trimE(String e) {
        int at = e.indexOf('e');
        String mant = e.substring(0, at);
        if (mant.contains(".")) {
            mant = mant.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return mant + e.substring(at);
    }

    private static String sign(String num, Spec s) {
        if (num.startsWith("-") || num.startsWith("+")) {
            return num;
        }
        return (s.plus ? "+" : s.space ? " " : "") + num;
    }

    private static String pad(String text, Spec s, boolean numeric) {
        int len = text.codePointCount(0, text.length());
        if (s.width <= len) {
            return text;
        }
        if (s.minus) {
            return text + " ".repeat(s.width - len);
        }
        String fill = s.zero ? "0" : " "; // Go pads text with zeros too
        String padding = fill.repeat(s.width - len);
        if (fill.equals("0") && numeric && (text.startsWith("-") || text.startsWith("+") || text.startsWith(" "))) {
            return text.charAt(0) + padding + text.substring(1);
        }
        return padding + text;
    }

    private static String runes(String s, int n) {
        int count = s.codePointCount(0, s.length());
        return count <= n ? s : s.substring(0, s.offsetByCodePoints(0, n));
    }

    /** {@code strconv.Quote}: a double-quoted Go string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case 7 -> b.append("\\a");
                case 8 -> b.append("\\b");
                case 12 -> b.append("\\f");
                case 11 -> b.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) {
                        b.append(String.format("\\x%02x", cp));
                    } else if (Character.isISOControl(cp) || !Character.isDefined(cp)) {
                        b.append(cp > 0xffff ? String.format("\\U%08x", cp) : String.format("\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.append('"').toString();
    }
}
