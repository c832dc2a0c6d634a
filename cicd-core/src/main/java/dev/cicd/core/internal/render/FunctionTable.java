package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machinery of {@link ConfdExtension}'s function table: each entry names a function, its arguments
 * (the first {@code required} are mandatory) and its body, which reads its arguments through {@link Args}.
 */
final class FunctionTable {

    private final Map<String, Function> functions = new LinkedHashMap<>();

    /** Adds a function taking {@code args}, of which the first {@code required} are mandatory. */
    FunctionTable fn(String name, List<String> args, int required, Body body) {
        functions.put(name, new TableFunction(name, args, required, body));
        return this;
    }

    /** Adds a function taking any number of positional arguments, read through {@link Args#list()}. */
    FunctionTable varargs(String name, Body body) {
        functions.put(name, new TableFunction(name, null, 0, body));
        return this;
    }

    Map<String, Function> build() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(functions));
    }

    @FunctionalInterface
    interface Body {
        Object apply(Args args);
    }

    /** Whether the number is an integer type that fits a {@code long}. */
    static boolean integral(Number n) {
        return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || (n instanceof BigInteger b && b.bitLength() < 64);
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

        /** The positional arguments of a {@link #varargs} function, in order. */
        java.util.List<Object> list() {
            java.util.List<Object> out = new java.util.ArrayList<>();
            for (int i = 0; values.containsKey(String.valueOf(i)); i++) {
                out.add(values.get(String.valueOf(i)));
            }
            return out;
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
            if (!integral(n)) {
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
            Object scope = context.getVariable(ConfdExtension.SCOPE_VARIABLE);
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
}
