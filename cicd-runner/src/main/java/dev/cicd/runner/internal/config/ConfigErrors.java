package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.cicd.runner.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Turns binding failures into one-line {@link ConfigException}s: where, which key, what is wrong, what was meant. */
public final class ConfigErrors {

    private ConfigErrors() {
    }

    /** A binding failure: unknown key (with a suggestion), a record's {@link KeyProblem}, or a value of the wrong type. */
    static ConfigException translate(JsonProcessingException e, LoadContext ctx) {
        String pointer = e instanceof JsonMappingException m ? pointer(m.getPath()) : "";
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds() == null ? List.of()
                    : u.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            return new ConfigException(ctx.where(pointer, null) + "unknown key '" + displayPath(pointer) + "'"
                    + didYouMean(u.getPropertyName(), known) + " (known keys here: " + String.join(", ", known) + ")", e);
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable cause = v.getCause();
            while (cause != null && !(cause instanceof IllegalArgumentException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof KeyProblem k) {
                String ptr = pointer + toPointer(k.key());
                return new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": " + k.problem(), e);
            }
            String msg = cause == null ? v.getOriginalMessage() : cause.getMessage();
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": " + msg, e);
        }
        if (e instanceof InvalidFormatException f) {
            Object value = f.getValue();
            String why = f.getCause() instanceof IllegalArgumentException iae ? iae.getMessage()
                    : "'" + value + "' is not " + describe(f.getTargetType());
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": " + why, e);
        }
        if (e instanceof MismatchedInputException mi) {
            return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": expected "
                    + describe(mi.getTargetType()), e);
        }
        return new ConfigException(ctx.where(pointer, null) + displayPath(pointer) + ": "
                + firstLine(e.getOriginalMessage()), e);
    }

    /** A failure thrown around Jackson's own exceptions, e.g. a {@link KeyProblem} of the root record. */
    static ConfigException translate(IllegalArgumentException e, LoadContext ctx) {
        if (e.getCause() instanceof JsonProcessingException j) {
            return translate(j, ctx);
        }
        if (e instanceof KeyProblem k) {
            String ptr = toPointer(k.key());
            return new ConfigException(ctx.where(ptr, null) + displayPath(ptr) + ": " + k.problem(), e);
        }
        return new ConfigException(ctx.file() + ": " + e.getMessage(), e);
    }

    private static String describe(Class<?> t) {
        if (t == null) {
            return "another type";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "a whole number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a text value";
        }
        if (List.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (t == Duration.class) {
            return "a duration (e.g. 10s, 5m)";
        }
        if (t.isRecord()) {
            return "a map of keys";
        }
        if (t.isEnum()) {
            return String.join(" or ", java.util.Arrays.stream(t.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).toList());
        }
        return "a " + t.getSimpleName();
    }

    static String didYouMean(String name, List<String> known) {
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestScore) {
                bestScore = d;
                best = k;
            }
        }
        return best != null && bestScore <= Math.max(2, name.length() / 3) ? "; did you mean '" + best + "'?" : "";
    }

    private static String pointer(List<JsonMappingException.Reference> path) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null && !r.getFieldName().isEmpty()) {
                b.append('/').append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('/').append(r.getIndex());
            }
        }
        return b.toString();
    }

    /** {@code watches[1].keys} or {@code tls.cert} -> {@code /watches/1/keys}, {@code /tls/cert}. */
    static String toPointer(String dotted) {
        return "/" + dotted.replaceAll("\\[(\\d+)]", ".$1").replace('.', '/');
    }

    /** {@code /watches/1/keys} -> {@code watches[1].keys}. */
    public static String displayPath(String pointer) {
        if (pointer.isEmpty()) {
            return "(top level)";
        }
        StringBuilder b = new StringBuilder();
        for (String part : JsonPointer.compile(pointer).toString().substring(1).split("/")) {
            if (part.matches("\\d+")) {
                b.append('[').append(part).append(']');
            } else {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(part);
            }
        }
        return b.toString();
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return (i < 0 ? s : s.substring(0, i)).trim();
    }

    /** Levenshtein distance, for suggestions. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
