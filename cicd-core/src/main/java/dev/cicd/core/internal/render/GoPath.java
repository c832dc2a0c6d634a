package dev.cicd.core.internal.render;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Slash-separated key paths with the semantics of Go's {@code path} package, which confd's
 * {@code base}, {@code dir} and glob functions follow.
 */
public final class GoPath {

    private static final int PATTERN_CACHE_MAX = 512;
    private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

    private GoPath() {
    }

    /** Go's {@code path.Clean}: collapses {@code //}, removes {@code .}, resolves {@code ..}, drops a trailing slash. */
    public static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
                    parts.removeLast();
                } else if (!rooted) {
                    parts.addLast("..");
                }
                continue;
            }
            parts.addLast(part);
        }
        String joined = String.join("/", parts);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    /** Go's {@code path.Base}: the last element; {@code "."} for empty, {@code "/"} for only slashes. */
    public static String base(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        if (end == 0) {
            return "/";
        }
        String trimmed = path.substring(0, end);
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    /** Go's {@code path.Dir}: everything but the last element, cleaned. */
    public static String dir(String path) {
        int slash = path.lastIndexOf('/');
        return clean(path.substring(0, slash + 1));
    }

    /**
     * Whether {@code name} matches the shell pattern, as Go's {@code path.Match}: {@code *} is any run of
     * non-{@code /} characters, {@code ?} one non-{@code /} character, {@code [a-z]} / {@code [^...]}
     * a character class, {@code \} escapes the next character.
     *
     * @throws IllegalArgumentException when the pattern is malformed
     */
    public static boolean match(String pattern, String name) {
        return compile(pattern).matcher(name).matches();
    }

    /** The pattern as a regular expression (cached). */
    public static Pattern compile(String pattern) {
        Pattern p = PATTERNS.get(pattern);
        if (p == null) {
            p = Pattern.compile(toRegex(pattern));
            if (PATTERNS.size() >= PATTERN_CACHE_MAX) {
                PATTERNS.clear();
            }
            PATTERNS.put(pattern, p);
        }
        return p;
    }

    private static String toRegex(String glob) {
        StringBuilder re = new StringBuilder(glob.length() + 16);
        int i = 0;
        int n = glob.length();
        while (i < n) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    re.append("[^/]*");
                    i++;
                }
                case '?' -> {
                    re.append("[^/]");
                    i++;
                }
                case '\\' -> {
                    if (i + 1 >= n) {
                        throw bad(glob, "ends with an escape character");
                    }
                    re.append(Pattern.quote(String.valueOf(glob.charAt(i + 1))));
                    i += 2;
                }
                case '[' -> i = charClass(glob, i, re);
                default -> {
                    int start = i;
                    while (i < n && "*?\\[".indexOf(glob.charAt(i)) < 0) {
                        i++;
                    }
                    re.append(Pattern.quote(glob.substring(start, i)));
                }
            }
        }
        return re.toString();
    }

    private static int charClass(String glob, int open, StringBuilder re) {
        int i = open + 1;
        int n = glob.length();
        boolean negated = i < n && glob.charAt(i) == '^';
        if (negated) {
            i++;
        }
        StringBuilder items = new StringBuilder();
        int ranges = 0;
        while (true) {
            if (i >= n) {
                throw bad(glob, "has an unclosed '['");
            }
            char c = glob.charAt(i);
            if (c == ']' && ranges > 0) {
                i++;
                break;
            }
            if (c == '-' || c == ']') {
                throw bad(glob, "has '" + c + "' where a character was expected in a class");
            }
            char lo = c;
            if (lo == '\\') {
                if (i + 1 >= n) {
                    throw bad(glob, "ends with an escape character");
                }
                lo = glob.charAt(++i);
            }
            i++;
            char hi = lo;
            if (i + 1 < n && glob.charAt(i) == '-' && glob.charAt(i + 1) != ']') {
                i++;
                hi = glob.charAt(i);
                if (hi == '\\') {
                    if (i + 1 >= n) {
                        throw bad(glob, "ends with an escape character");
                    }
                    hi = glob.charAt(++i);
                }
                i++;
                if (hi < lo) {
                    throw bad(glob, "has a reversed range " + lo + "-" + hi);
                }
            }
            items.append(escapeInClass(lo));
            if (hi != lo) {
                items.append('-').append(escapeInClass(hi));
            }
            ranges++;
        }
        // as in Go, a class (negated or not) never matches the separator
        re.append("(?:(?!/)[").append(negated ? "^" : "").append(items).append("])");
        return i;
    }

    private static String escapeInClass(char c) {
        return "\\[]^-&".indexOf(c) >= 0 ? "\\" + c : String.valueOf(c);
    }

    private static IllegalArgumentException bad(String glob, String why) {
        return new IllegalArgumentException("pattern '" + glob + "' " + why);
    }
}
