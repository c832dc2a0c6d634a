package dev.cicd.core.internal.render;

/** Quoting for POSIX shells and single-line display of untrusted text. */
public final class ShellText {

    private ShellText() {
    }

    /**
     * The text as one literal POSIX shell word: wrapped in single quotes, each embedded {@code '} written
     * as {@code '\''}. Nothing inside is expanded by the shell ({@code $}, {@code `}, {@code ;}, newlines
     * all stay literal); {@code null} and the empty string give {@code ''}.
     */
    public static String quote(String text) {
        if (text == null || text.isEmpty()) {
            return "''";
        }
        StringBuilder out = new StringBuilder(text.length() + 8).append('\'');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                out.append("'\\''");
            } else {
                out.append(c);
            }
        }
        return out.append('\'').toString();
    }

    /**
     * The text on one line: CR, LF, TAB and other control characters (and the Unicode line and paragraph
     * separators) written as {@code \n}, {@code \r}, {@code \t} or {@code \\uXXXX}, a backslash as
     * {@code \\}. Safe to paste into a {@code #} comment of a script: it cannot end the comment.
     */
    public static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        int first = firstSpecial(text);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (isControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static int firstSpecial(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' || isControl(c)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
    }
}
