package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Pebble functions modelled on confd's template functions, plus the {@code sh} and {@code oneline}
 * filters. Registered as a table: each entry names the function, its arguments (the first
 * {@code required} are mandatory) and its body.
 *
 * <p>The per-render state (the watch's keys and the event) is read from the context variable
 * {@link #SCOPE_VARIABLE}.
 */
public final class ConfdExtension extends AbstractExtension {

    /** Context variable holding the {@link RenderScope} of the current render. */
    public static final String SCOPE_VARIABLE = "__cicd_scope";

    /** Largest list {@code seq} builds, so a payload cannot make a template allocate without bound. */
    public static final int SEQ_MAX = 100_000;

    private final Set<String> allowEnv;
    private final Clock clock;
    private final UnaryOperator<String> env;
    private final Map<String, Function> functions;
    private final Map<String, Filter> filters;

    /**
     * @param allowEnv environment variables {@code getenv} may read
     * @param clock    what {@code datetime()} reads
     * @param env      the environment ({@code System::getenv} in production)
     */
    public ConfdExtension(Set<String> allowEnv, Clock clock, UnaryOperator<String> env) {
        this.allowEnv = Collections.unmodifiableSet(new TreeSet<>(allowEnv));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.env = Objects.requireNonNull(env, "env");
        this.functions = Collections.unmodifiableMap(buildFunctions());
        this.filters = Map.of(
                "sh", new TextFilter("sh", ShellText::quote),
                "oneline", new TextFilter("oneline", ShellText::oneLine));
    }

    @Override
    public Map<String, Function> getFunctions() {
        return functions;
    }

    @Override
    public Map<String, Filter> getFilters() {
        return filters;
    }

    private Map<String, Function> buildFunctions() {
        Map<String, Function> f = new LinkedHashMap<>();
        // the watch's keys
        fn(f, "getv", List.of("key", "default"), 1, a -> {
            String key = a.str("key");
            return a.scope().keys().get(key).orElseGet(() -> {
                if (a.has("default")) {
                    return a.str("default");
                }
                throw a.fail("getv: " + a.scope().keys().describeMissing(key) + " and no default was given");
            });
        });
        fn(f, "exists", List.of("key"), 1, a -> a.scope().keys().exists(a.str("key")));
        fn(f, "gets", List.of("pattern"), 1, a -> a.scope().keys().gets(a.glob("pattern")));
        fn(f, "getvs", List.of("pattern"), 1, a -> a.scope().keys().getvs(a.glob("pattern")));
        fn(f, "ls", List.of("dir"), 1, a -> a.scope().keys().ls(a.str("dir")));
        fn(f, "lsdir", List.of("dir"), 1, a -> a.scope().keys().lsdir(a.str("dir")));
        // JSON
        fn(f, "json", List.of("text"), 1, a -> a.parseJson("json", java.util.Map.class));
        fn(f, "jsonArray", List.of("text"), 1, a -> a.parseJson("jsonArray", java.util.List.class));
        // paths and strings
        fn(f, "base", List.of("path"), 1, a -> GoPath.base(a.str("path")));
        fn(f, "dir", List.of("path"), 1, a -> GoPath.dir(a.str("path")));
        fn(f, "split", List.of("s", "sep"), 2, a -> split(a.str("s"), a.str("sep")));
        fn(f, "join", List.of("list", "sep"), 2, a -> join(a, a.obj("list"), a.str("sep")));
        fn(f, "toUpper", List.of("s"), 1, a -> a.str("s").toUpperCase(Locale.ROOT));
        fn(f, "toLower", List.of("s"), 1, a -> a.str("s").toLowerCase(Locale.ROOT));
        fn(f, "contains", List.of("s", "sub"), 2, a -> contains(a.obj("s"), a.obj("sub")));
        fn(f, "replace", List.of("s", "old", "new", "n"), 3,
                a -> replace(a.str("s"), a.str("old"), a.str("new"), a.has("n") ? a.integer("n") : -1));
        fn(f, "trimSuffix", List.of("s", "suffix"), 2, a -> {
            String s = a.str("s");
            String suffix = a.str("suffix");
            return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
        });
        fn(f, "base64Encode", List.of("s"), 1,
                a -> Base64.getEncoder().encodeToString(a.str("s").getBytes(StandardCharsets.UTF_8)));
        fn(f, "base64Decode", List.of("s"), 1, a -> {
            try {
                return new String(Base64.getDecoder().decode(a.str("s")), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw a.fail("base64Decode: '" + ShellText.oneLine(a.str("s")) + "' is not base64: " + e.getMessage());
            }
        });
        // numbers
        fn(f, "atoi", List.of("s"), 1, a -> {
            String s = a.str("s");
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw a.fail("atoi: '" + ShellText.oneLine(s) + "' is not an integer");
            }
        });
        fn(f, "add", List.of("a", "b"), 2, a -> Arith.ADD.apply(a, a.number("a"), a.number("b")));
        fn(f, "sub", List.of("a", "b"), 2, a -> Arith.SUB.apply(a, a.number("a"), a.number("b")));
        fn(f, "mul", List.of("a", "b"), 2, a -> Arith.MUL.apply(a, a.number("a"), a.number("b")));
        fn(f, "div", List.of("a", "b"), 2, a -> Arith.DIV.apply(a, a.number("a"), a.number("b")));
        fn(f, "mod", List.of("a", "b"), 2, a -> Arith.MOD.apply(a, a.number("a"), a.number("b")));
        fn(f, "seq", List.of("first", "last"), 2, a -> {
            long first = a.integer("first");
            long last = a.integer("last");
            if (last >= first && last - first >= SEQ_MAX) {
                throw a.fail("seq: " + first + ".." + last + " has more than " + SEQ_MAX + " elements");
            }
            List<Long> out = new ArrayList<>();
            for (long i = first; i <= last; i++) {
                out.add(i);
            }
            return Collections.unmodifiableList(out);
        });
        // environment
        fn(f, "datetime", List.of(), 0, a -> ZonedDateTime.now(clock));
        fn(f, "getenv", List.of("name", "default"), 1, a -> {
            String name = a.str("name");
            if (!allowEnv.contains(name)) {
                throw a.fail("getenv: environment variable '" + ShellText.oneLine(name)
                        + "' is not on the allow-list " + allowEnv);
            }
            String value = env.apply(name);
            if ((value == null || value.isEmpty()) && a.has("default")) {
                return a.str("default");
            }
            return value == null ? "" : value;
        });
        return f;
    }

    private static void fn(Map<String, Function> table, String name, List<String> args, int required, Body body) {
        table.put(name, new TableFunction(name, args, required, body));
    }

    // ---- function bodies that need more than a line ----

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

    private static String join(Args a, Object list, String sep) {
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

    // ---- the table machinery ----

    @FunctionalInterface
    interface Body {
        Object apply(Args args);
    }

    /** The arguments of one call, with coercions that fail with the function's name and the template line. */
    static final class Args {
        private final String function;
        private final Map<String, Object> values;
        private final PebbleTemplate self;
        private final EvaluationContext context;
        private final int line;

        Args(String function, Map<String, Object> values, PebbleTemplate self, EvaluationContext context, int line) {
            this.function = function;
            this.values = values;
            this.self = self;
            this.context = context;
            this.line = line;
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        Object obj(String name) {
            return values.get(name);
        }

        String str(String name) {
            Object v = values.get(name);
            return v == null ? "" : v.toString();
        }

        String glob(String name) {
            String pattern = str(name);
            try {
                GoPath.compile(pattern);
            } catch (IllegalArgumentException e) {
                throw fail(function + ": " + e.getMessage());
            }
            return pattern;
        }

        Number number(String name) {
            Object v = values.get(name);
            if (v instanceof Number num) {
                return num;
            }
            if (v instanceof String s) {
                try {
                    return Long.parseLong(s.trim());
                } catch (NumberFormatException e) {
                    try {
                        return Double.parseDouble(s.trim());
                    } catch (NumberFormatException e2) {
                        // fall through
                    }
                }
            }
            throw fail(function + ": argument '" + name + "' must be a number, was "
                    + (v == null ? "null" : "'" + ShellText.oneLine(v.toString()) + "'"));
        }

        long integer(String name) {
            Number n = number(name);
            if (!Arith.integral(n)) {
                throw fail(function + ": argument '" + name + "' must be an integer, was " + n);
            }
            return n.longValue();
        }

        Object parseJson(String fn, Class<?> expected) {
            String text = str("text");
            Object parsed;
            try {
                parsed = PlainJson.parse(text);
            } catch (PlainJson.InvalidJsonException e) {
                throw new TemplateFunctionException(CicdException.Code.BAD_PAYLOAD,
                        fn + ": text is not valid JSON: " + e.getMessage(), line, self.getName(), e);
            }
            if (!expected.isInstance(parsed)) {
                throw new TemplateFunctionException(CicdException.Code.BAD_PAYLOAD,
                        fn + ": expected JSON " + (expected == List.class ? "an array" : "an object")
                                + ", got " + PlainJson.typeName(parsed), line, self.getName(), null);
            }
            return parsed;
        }

        RenderScope scope() {
            Object scope = context.getVariable(SCOPE_VARIABLE);
            if (scope instanceof RenderScope rs) {
                return rs;
            }
            throw fail(function + ": no watch keys in this render (template evaluated outside the renderer?)");
        }

        TemplateFunctionException fail(String message) {
            return new TemplateFunctionException(CicdException.Code.TEMPLATE, message, line, self.getName(), null);
        }
    }

    private static final class TableFunction implements Function {
        private final String name;
        private final List<String> argumentNames;
        private final int required;
        private final Body body;

        TableFunction(String name, List<String> argumentNames, int required, Body body) {
            this.name = name;
            this.argumentNames = argumentNames;
            this.required = required;
            this.body = body;
        }

        @Override
        public List<String> getArgumentNames() {
            return argumentNames;
        }

        @Override
        public Object execute(Map<String, Object> args, PebbleTemplate self, EvaluationContext context, int lineNumber) {
            Args a = new Args(name, args, self, context, lineNumber);
            for (int i = 0; i < required; i++) {
                if (!args.containsKey(argumentNames.get(i))) {
                    throw a.fail(name + ": missing argument '" + argumentNames.get(i) + "' (" + name + "("
                            + String.join(", ", argumentNames) + "), the first " + required + " required)");
                }
            }
            try {
                return body.apply(a);
            } catch (PebbleException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new TemplateFunctionException(CicdException.Code.TEMPLATE, name + ": " + e, lineNumber,
                        self.getName(), e);
            }
        }
    }

    private static final class TextFilter implements Filter {
        private final String name;
        private final UnaryOperator<String> op;

        TextFilter(String name, UnaryOperator<String> op) {
            this.name = name;
            this.op = op;
        }

        @Override
        public List<String> getArgumentNames() {
            return List.of();
        }

        @Override
        public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
                int lineNumber) {
            if (!args.isEmpty()) {
                throw new TemplateFunctionException(CicdException.Code.TEMPLATE,
                        "filter " + name + " takes no arguments", lineNumber, self.getName(), null);
            }
            return op.apply(input == null ? null : input.toString());
        }
    }

    private enum Arith {
        ADD, SUB, MUL, DIV, MOD;

        static boolean integral(Number n) {
            return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                    || (n instanceof BigInteger b && b.bitLength() < 64);
        }

        Object apply(Args a, Number x, Number y) {
            if (integral(x) && integral(y)) {
                long l = x.longValue();
                long r = y.longValue();
                try {
                    return switch (this) {
                        case ADD -> Math.addExact(l, r);
                        case SUB -> Math.subtractExact(l, r);
                        case MUL -> Math.multiplyExact(l, r);
                        case DIV -> {
                            if (r == 0) {
                                throw a.fail("div: division by zero");
                            }
                            yield l / r;
                        }
                        case MOD -> {
                            if (r == 0) {
                                throw a.fail("mod: division by zero");
                            }
                            yield l % r;
                        }
                    };
                } catch (ArithmeticException e) {
                    throw a.fail(name().toLowerCase(Locale.ROOT) + ": " + l + ", " + r + ": " + e.getMessage());
                }
            }
            double l = x.doubleValue();
            double r = y.doubleValue();
            if (r == 0 && (this == DIV || this == MOD)) {
                throw a.fail(name().toLowerCase(Locale.ROOT) + ": division by zero");
            }
            return switch (this) {
                case ADD -> l + r;
                case SUB -> l - r;
                case MUL -> l * r;
                case DIV -> l / r;
                case MOD -> l % r;
            };
        }
    }
}
