package dev.cicd.core.internal.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Go text/template's built-ins and confd's list functions, for templates {@code cicd import-confd}
 * translates (usable in any template): {@code printf}, {@code print}, {@code println}, {@code goPrint}
 * (how {@code {{x}}} prints in Go), {@code goTruth}, {@code goEq}, {@code goCmp}, {@code goRange},
 * {@code goLen}, {@code goIndex}, {@code goUnescape} ({@code \x5c} as a backslash, for string literals),
 * {@code goJson}/{@code goJsonArray} (numbers as Go's float64), {@code goTimeFormat} (a time's
 * {@code Format} with a Go layout), and confd's {@code get}, {@code map}, {@code reverse},
 * {@code sortByLength}, {@code sortKVByLength}, {@code parseBool}.
 */
final class GoTemplateFunctions {

    private GoTemplateFunctions() {
    }

    static void register(FunctionTable t) {
        t.varargs("printf", a -> {
            List<Object> args = a.list();
            if (args.isEmpty()) {
                throw a.fail("printf: missing the format");
            }
            return GoFormat.sprintf(String.valueOf(args.get(0)), args.subList(1, args.size()));
        });
        t.varargs("print", a -> GoFormat.sprint(a.list()));
        t.varargs("println", a -> GoFormat.sprintln(a.list()));
        // confd's json: every JSON number is a Go float64 (8080 prints 8080, 1000000 prints 1e+06)
        t.fn("goJson", List.of("text"), 1, a -> floats(a.parseJson("json", Map.class)));
        t.fn("goJsonArray", List.of("text"), 1, a -> floats(a.parseJson("jsonArray", List.class)));
        t.fn("goTimeFormat", List.of("time", "layout"), 2, a -> {
            if (!(a.obj("time") instanceof java.time.ZonedDateTime time)) {
                throw a.fail("Format: can't call method Format on " + GoValues.typeName(a.obj("time")));
            }
            return GoTime.format(time, a.str("layout"));
        });
        t.fn("goUnescape", List.of("s"), 1, a -> a.str("s").replace("\\x5c", "\\"));
        t.fn("goPrint", List.of("value"), 0, a -> GoValues.print(a.obj("value")));
        t.fn("goTruth", List.of("value"), 0, a -> GoValues.truth(a.obj("value")));
        t.varargs("goEq", a -> {
            List<Object> args = a.list();
            if (args.size() < 2) {
                throw a.fail("eq: needs at least two arguments");
            }
            for (Object o : args.subList(1, args.size())) {
                if (GoValues.equal(args.get(0), o)) {
                    return true;
                }
            }
            return false;
        });
        t.fn("goCmp", List.of("a", "b"), 2, a -> {
            try {
                return (long) Integer.signum(GoValues.compare(a.obj("a"), a.obj("b")));
            } catch (IllegalArgumentException e) {
                throw a.fail("lt/le/gt/ge: " + e.getMessage());
            }
        });
        t.fn("goRange", List.of("value"), 0, a -> {
            try {
                return GoValues.range(a.obj("value"));
            } catch (IllegalArgumentException e) {
                throw a.fail(e.getMessage());
            }
        });
        t.fn("goLen", List.of("value"), 0, a -> {
            Object v = a.obj("value");
            if (v instanceof String s) {
                return (long) s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length; // Go counts bytes
            }
            if (v instanceof java.util.Collection<?> c) {
                return (long) c.size();
            }
            if (v instanceof Map<?, ?> m) {
                return (long) m.size();
            }
            throw a.fail("len of " + GoValues.typeName(v));
        });
        t.varargs("goIndex", a -> {
            List<Object> args = a.list();
            Object v = args.isEmpty() ? null : args.get(0);
            for (Object i : args.subList(Math.min(1, args.size()), args.size())) {
                v = index(a, v, i);
            }
            return v;
        });
        t.fn("get", List.of("key"), 1, a -> {
            String key = a.str("key");
            String value = a.scope().keys().get(key)
                    .orElseThrow(() -> a.fail("get: " + a.scope().keys().describeMissing(key)));
            return new KVPair(KeyView.normalize(key), value);
        });
        t.varargs("map", a -> {
            List<Object> args = a.list();
            if (args.size() % 2 != 0) {
                throw a.fail("map: invalid map call (an odd number of arguments)");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < args.size(); i += 2) {
                if (!(args.get(i) instanceof String k)) {
                    throw a.fail("map: map keys must be strings, got " + GoValues.typeName(args.get(i)));
                }
                m.put(k, args.get(i + 1));
            }
            return Collections.unmodifiableMap(m);
        });
        t.fn("reverse", List.of("list"), 1, a -> {
            List<Object> l = new ArrayList<>(list(a, "reverse", a.obj("list")));
            Collections.reverse(l);
            return Collections.unmodifiableList(l);
        });
        t.fn("sortByLength", List.of("list"), 1, a -> {
            List<Object> l = new ArrayList<>(list(a, "sortByLength", a.obj("list")));
            l.sort(Comparator.comparingInt(o -> String.valueOf(o).length()));
            return Collections.unmodifiableList(l);
        });
        t.fn("sortKVByLength", List.of("list"), 1, a -> {
            List<Object> l = new ArrayList<>(list(a, "sortKVByLength", a.obj("list")));
            for (Object o : l) {
                if (!(o instanceof KVPair)) {
                    throw a.fail("sortKVByLength: expected the key/value pairs of gets, got " + GoValues.typeName(o));
                }
            }
            l.sort(Comparator.comparingInt(o -> ((KVPair) o).getKey().length()));
            return Collections.unmodifiableList(l);
        });
        t.fn("parseBool", List.of("s"), 1, a -> switch (a.str("s")) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> throw a.fail("parseBool: parsing '" + ShellText.oneLine(a.str("s")) + "': invalid syntax");
        });
    }

    /** JSON as Go decodes it into interface{}: numbers as float64. */
    static Object floats(Object v) {
        if (v instanceof Number n && !(v instanceof Double)) {
            return n.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, floats(x)));
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(floats(x)));
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    private static List<?> list(FunctionTable.Args a, String fn, Object v) {
        if (v instanceof List<?> l) {
            return l;
        }
        throw a.fail(fn + ": expected a list, got " + GoValues.typeName(v));
    }

    private static Object index(FunctionTable.Args a, Object v, Object i) {
        if (v instanceof Map<?, ?> m) {
            return m.get(i);
        }
        if (v instanceof List<?> l) {
            Long n = GoValues.asLong(i);
            if (n == null) {
                throw a.fail("index: cannot index a list with " + GoValues.typeName(i));
            }
            if (n < 0 || n >= l.size()) {
                throw a.fail("index: index out of range: " + n);
            }
            return l.get(n.intValue());
        }
        if (v instanceof String s) {
            Long n = GoValues.asLong(i);
            byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (n == null || n < 0 || n >= bytes.length) {
                throw a.fail("index: index out of range: " + i);
            }
            return (long) (bytes[n.intValue()] & 0xff);
        }
        throw a.fail("index: can't index item of type " + GoValues.typeName(v));
    }
}
