package dev.cicd.core.internal.render;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * confd's functions on text, paths and JSON: {@code json}, {@code jsonArray}, {@code base}, {@code dir},
 * {@code split}, {@code join}, {@code toUpper}, {@code toLower}, {@code contains}, {@code replace},
 * {@code trimSuffix}, {@code base64Encode}, {@code base64Decode}.
 */
final class TextFunctions {

    private TextFunctions() {
    }

    static void register(FunctionTable t) {
        // JSON
        t.fn("json", List.of("text"), 1, a -> a.parseJson("json", Map.class));
        t.fn("jsonArray", List.of("text"), 1, a -> a.parseJson("jsonArray", List.class));
        // paths and strings
        t.fn("base", List.of("path"), 1, a -> GoPath.base(a.str("path")));
        t.fn("dir", List.of("path"), 1, a -> GoPath.dir(a.str("path")));
        t.fn("split", List.of("s", "sep"), 2, a -> split(a.str("s"), a.str("sep")));
        t.fn("join", List.of("list", "sep"), 2, a -> join(a, a.obj("list"), a.str("sep")));
        t.fn("toUpper", List.of("s"), 1, a -> a.str("s").toUpperCase(Locale.ROOT));
        t.fn("toLower", List.of("s"), 1, a -> a.str("s").toLowerCase(Locale.ROOT));
        t.fn("contains", List.of("s", "sub"), 2, a -> contains(a.obj("s"), a.obj("sub")));
        t.fn("replace", List.of("s", "old", "new", "n"), 3,
                a -> replace(a.str("s"), a.str("old"), a.str("new"), a.has("n") ? a.integer("n") : -1));
        t.fn("trimSuffix", List.of("s", "suffix"), 2, a -> {
            String s = a.str("s");
            String suffix = a.str("suffix");
            return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
        });
        t.fn("base64Encode", List.of("s"), 1,
                a -> Base64.getEncoder().encodeToString(a.str("s").getBytes(StandardCharsets.UTF_8)));
        t.fn("base64Decode", List.of("s"), 1, a -> {
            try {
                if (a.str("s").length() % 4 != 0) { // Go's StdEncoding needs the padding Java's decoder would not
                    throw new IllegalArgumentException("illegal base64 data: the length is not a multiple of 4");
                }
                return new String(Base64.getDecoder().decode(a.str("s")), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw a.fail("base64Decode: '" + ShellText.oneLine(a.str("s")) + "' is not base64: " + e.getMessage());
            }
        });
    }

    static List<String> split(String s, String sep) {
        List<String> out = new ArrayList<>();
        if (sep.isEmpty()) {
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return Collections.unmodifiableList(out);
        }
        int from = 0;
        while (true) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                out.add(s.substring(from));
                return Collections.unmodifiableList(out);
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
    }

    private static String join(FunctionTable.Args a, Object list, String sep) {
        Iterable<?> items;
        if (list instanceof Iterable<?> it) {
            items = it;
        } else if (list instanceof Object[] arr) {
            items = Arrays.asList(arr);
        } else {
            throw a.fail("join: expected a list, got " + PlainJson.typeName(list));
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(sep);
            }
            out.append(item == null ? "" : item);
            first = false;
        }
        return out.toString();
    }

    /** Substring for text; element for lists; key for maps (Pebble's {@code contains} operator, as a function). */
    static boolean contains(Object container, Object item) {
        if (container == null) {
            return false;
        }
        if (container instanceof Map<?, ?> map) {
            return map.containsKey(item);
        }
        if (container instanceof Collection<?> coll) {
            for (Object e : coll) {
                if (sameValue(e, item)) {
                    return true;
                }
            }
            return false;
        }
        return container.toString().contains(item == null ? "" : item.toString());
    }

    private static boolean sameValue(Object a, Object b) {
        if (Objects.equals(a, b)) {
            return true;
        }
        if (a instanceof Number x && b instanceof Number y) {
            try {
                return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return false;
    }

    /** Go's {@code strings.Replace}: at most {@code n} replacements, all when {@code n < 0}. */
    static String replace(String s, String old, String replacement, long n) {
        if (n == 0 || old.equals(replacement)) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        long done = 0;
        if (old.isEmpty()) {
            // Go inserts before every rune and at the end
            int i = 0;
            while (i <= s.length() && (n < 0 || done < n)) {
                out.append(replacement);
                done++;
                if (i == s.length()) {
                    i++;
                    break;
                }
                int next = s.offsetByCodePoints(i, 1);
                out.append(s, i, next);
                i = next;
            }
            if (i <= s.length()) {
                out.append(s, i, s.length());
            }
            return out.toString();
        }
        int from = 0;
        while (n < 0 || done < n) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            from = at + old.length();
            done++;
        }
        return out.append(s, from, s.length()).toString();
    }
}
