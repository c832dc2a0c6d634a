package dev.cicd.runner.internal.confd;

/**
 * Go literals as values and Pebble literals: interpreted strings ({@code "a\tb\x41\u00e9"}), characters
 * ({@code 'a'}), integers ({@code 0x1f}, {@code 0o17}, {@code 1_000}), and a text as a Pebble string:
 * double-quoted when it holds no {@code "}, backslash or {@code #}{@code {} (Pebble's interpolation), else
 * single-quoted (Pebble keeps backslashes there and unescapes only {@code \'}, so a backslash is written
 * {@code \x5c} inside {@code goUnescape('...')}).
 */
final class GoLiterals {

    private GoLiterals() {
    }

    /** The text as a Pebble expression that evaluates to exactly it. */
    static String pebbleString(String value) {
        if (value.indexOf('\\') < 0 && value.indexOf('"') < 0 && !value.contains("#{")) {
            return '"' + value + '"'; // no interpolation, nothing to escape
        }
        if (value.indexOf('\\') < 0) {
            return "'" + value.replace("'", "\\'") + "'";
        }
        return "goUnescape('" + value.replace("\\", "\\x5c").replace("'", "\\'") + "')";
    }

    /** The value of a Go interpreted string literal, quotes included. */
    static String unquote(String literal) {
        String s = literal.substring(1, literal.length() - 1);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= s.length()) {
                throw new Untranslatable("bad escape at the end of " + literal);
            }
            char e = s.charAt(i);
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case '\\', '"', '\'' -> out.append(e);
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + 1 + len > s.length()) {
                        throw new Untranslatable("bad escape in " + literal);
                    }
                    int cp = Integer.parseInt(s.substring(i + 1, i + 1 + len), 16);
                    if (e == 'x') {
                        out.append((char) cp); // a byte; confd's configs use ASCII here
                    } else {
                        out.appendCodePoint(cp);
                    }
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7' && i + 2 < s.length()) {
                        out.append((char) Integer.parseInt(s.substring(i, i + 3), 8));
                        i += 2;
                    } else {
                        throw new Untranslatable("unknown escape \\" + e + " in " + literal);
                    }
                }
            }
        }
        return out.toString();
    }

    /** The code point of a Go character literal. */
    static long character(String literal) {
        String v = unquote('"' + literal.substring(1, literal.length() - 1).replace("\"", "\\\"") + '"');
        if (v.codePointCount(0, v.length()) != 1) {
            throw new Untranslatable("bad character literal " + literal);
        }
        return v.codePointAt(0);
    }

    /** A Go integer literal. */
    static long integer(String literal) {
        String t = literal.replace("_", "");
        boolean negative = t.startsWith("-");
        if (t.startsWith("-") || t.startsWith("+")) {
            t = t.substring(1);
        }
        long v;
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                v = Long.parseLong(t.substring(2), 16);
            } else if (t.startsWith("0b") || t.startsWith("0B")) {
                v = Long.parseLong(t.substring(2), 2);
            } else if (t.startsWith("0o") || t.startsWith("0O")) {
                v = Long.parseLong(t.substring(2), 8);
            } else if (t.length() > 1 && t.startsWith("0")) {
                v = Long.parseLong(t.substring(1), 8);
            } else {
                v = Long.parseLong(t);
            }
        } catch (NumberFormatException e) {
            throw new Untranslatable("'" + literal + "' is not a number");
        }
        return negative ? -v : v;
    }
}
