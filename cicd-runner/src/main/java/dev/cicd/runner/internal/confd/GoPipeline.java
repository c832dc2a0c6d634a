package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Go template pipeline, as a Pebble expression: tokenizes it (strings, raw strings, characters,
 * parentheses, {@code |}) and parses commands, piping each one's value into the next as its last argument
 * ({@code x | f a} -> {@code f(a, x)}); calls are translated by {@link GoFunctions}. The dot, its fields
 * ({@code .Key}, {@code .Value}, {@code .a.b}), {@code $} and {@code $variables} are read through the
 * {@link GoScope}. A time's {@code Format} method ({@code datetime.Format "2006-01-02"}) becomes
 * {@code goTimeFormat}; other method calls are {@link Untranslatable}.
 */
final class GoPipeline {

    /** A translated expression; {@code bool} when it is a Pebble boolean already (a comparison, {@code and} ...). */
    record Expr(String text, boolean bool) {
        /** As a Pebble condition: Go's truth of the value. */
        String condition() {
            return bool ? text : "goTruth(" + text + ")";
        }
    }

    /** Marks the fields read right after a closing parenthesis. */
    private static final String FIELDS = "\u0000";

    private final List<String> tokens = new ArrayList<>();
    private final GoScope scope;
    private int i;

    GoPipeline(String s, GoScope scope) {
        this.scope = scope;
        tokenize(s.trim());
    }

    private void tokenize(String s) {
        int p = 0;
        while (p < s.length()) {
            char c = s.charAt(p);
            if (Character.isWhitespace(c)) {
                p++;
            } else if (c == '"' || c == '\'') {
                int q = p + 1;
                while (q < s.length() && s.charAt(q) != c) {
                    q += s.charAt(q) == '\\' ? 2 : 1;
                }
                if (q >= s.length()) {
                    throw new Untranslatable(c == '"' ? "unterminated string" : "unterminated character");
                }
                tokens.add(s.substring(p, q + 1));
                p = q + 1;
            } else if (c == '`') {
                int q = s.indexOf('`', p + 1);
                if (q < 0) {
                    throw new Untranslatable("unterminated raw string");
                }
                tokens.add(s.substring(p, q + 1));
                p = q + 1;
            } else if (c == '(' || c == ')' || c == '|' || c == ',') {
                tokens.add(String.valueOf(c));
                p++;
                if (c == ')' && p < s.length() && s.charAt(p) == '.') {
                    int q = p; // (pipeline).field.field: the fields read the parenthesised value
                    while (q < s.length() && !Character.isWhitespace(s.charAt(q)) && "()|,\"`".indexOf(s.charAt(q)) < 0) {
                        q++;
                    }
                    tokens.add(FIELDS + s.substring(p, q));
                    p = q;
                }
            } else {
                int q = p;
                while (q < s.length() && !Character.isWhitespace(s.charAt(q)) && "()|,\"`".indexOf(s.charAt(q)) < 0) {
                    q++;
                }
                tokens.add(s.substring(p, q));
                p = q;
            }
        }
    }

    Expr pipeline() {
        Expr result = command(null);
        while (i < tokens.size() && tokens.get(i).equals("|")) {
            i++;
            result = command(result);
        }
        if (i < tokens.size() && !tokens.get(i).equals(")")) {
            throw new Untranslatable("unexpected '" + tokens.get(i) + "'");
        }
        return result;
    }

    /** One command; {@code piped} is the previous command's value, passed as the last argument. */
    private Expr command(Expr piped) {
        if (i >= tokens.size()) {
            throw new Untranslatable("empty command");
        }
        String head = tokens.get(i);
        boolean function = head.matches("[A-Za-z_][A-Za-z0-9_]*") && !Set.of("true", "false", "nil").contains(head);
        if (!function) {
            Expr t = term();
            boolean more = i < tokens.size() && !tokens.get(i).equals("|") && !tokens.get(i).equals(")");
            if (t.text().endsWith(".Format") && (more || piped != null)) {
                // a time's Format method (confd's datetime is time.Now): the layout is its one argument
                List<Expr> args = new ArrayList<>();
                while (i < tokens.size() && !tokens.get(i).equals("|") && !tokens.get(i).equals(")")) {
                    args.add(term());
                }
                if (piped != null) {
                    args.add(piped);
                }
                if (args.size() != 1) {
                    throw new Untranslatable("Format takes one layout");
                }
                String time = t.text().substring(0, t.text().length() - ".Format".length());
                return new Expr("goTimeFormat(" + time + ", " + args.get(0).text() + ")", false);
            }
            if (piped != null || more) {
                throw new Untranslatable(t.text().contains(".") && (head.startsWith(".") || head.startsWith("$"))
                        ? "'" + head + "' with arguments is a method call, which is not translated"
                        : "'" + head + "' is not a function");
            }
            return t;
        }
        i++;
        List<Expr> args = new ArrayList<>();
        while (i < tokens.size() && !tokens.get(i).equals("|") && !tokens.get(i).equals(")")) {
            args.add(term());
        }
        if (piped != null) {
            args.add(piped);
        }
        return GoFunctions.call(head, scope.function(head), args);
    }

    private Expr term() {
        String t = tokens.get(i++);
        if (t.equals("(")) {
            Expr inner = pipeline();
            if (i >= tokens.size() || !tokens.get(i).equals(")")) {
                throw new Untranslatable("missing ')'");
            }
            i++;
            if (i < tokens.size() && tokens.get(i).startsWith(FIELDS)) {
                String fields = tokens.get(i++).substring(1);
                if (!fields.matches("(\\.[A-Za-z_][A-Za-z0-9_]*)+")) {
                    throw new Untranslatable("'" + fields + "' is not a field");
                }
                return new Expr("(" + inner.text() + ")" + fields, false);
            }
            return inner; // every compound translation is parenthesised already
        }
        if (t.startsWith("\"")) {
            return new Expr(GoLiterals.pebbleString(GoLiterals.unquote(t)), false);
        }
        if (t.startsWith("`")) {
            return new Expr(GoLiterals.pebbleString(t.substring(1, t.length() - 1)), false);
        }
        if (t.startsWith("'")) {
            return new Expr(Long.toString(GoLiterals.character(t)), false);
        }
        if (t.matches("[-+]?[0-9][0-9_]*|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO]?[0-7_]+|[-+]?0[bB][01_]+")) {
            return new Expr(Long.toString(GoLiterals.integer(t)), false);
        }
        if (t.matches("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?")) {
            // plain decimal digits with a point: Pebble reads no exponent, and reads a point as a double
            String plain = new java.math.BigDecimal(Double.toString(Double.parseDouble(t))).toPlainString();
            return new Expr(plain.contains(".") ? plain : plain + ".0", false);
        }
        if (t.equals("true") || t.equals("false")) {
            return new Expr(t, true);
        }
        if (t.equals("nil")) {
            return new Expr("null", false);
        }
        if (t.equals("$")) {
            return new Expr("null", false); // confd executes templates with nil data
        }
        if (t.matches("\\$[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            int dot = t.indexOf('.');
            String name = t.substring(1, dot < 0 ? t.length() : dot);
            String v = scope.lookup(name);
            if (v == null) {
                throw new Untranslatable("undefined variable: $" + name);
            }
            return new Expr(dot < 0 ? v : v + t.substring(dot), false);
        }
        if (t.startsWith("$.")) {
            throw new Untranslatable("'" + t + "' reads a field of confd's data, which is nil");
        }
        if (t.equals(".") || t.matches("(\\.[A-Za-z_][A-Za-z0-9_]*)+")) {
            String dot = scope.dot();
            if (dot == null) {
                if (t.equals(".")) {
                    return new Expr("null", false); // confd's data is nil: {{.}} prints <no value>
                }
                throw new Untranslatable("'" + t + "' reads a field of the dot outside range and with, where confd's"
                        + " data is nil");
            }
            return new Expr(t.equals(".") ? dot : dot + t, false);
        }
        if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return GoFunctions.call(t, scope.function(t), List.of());
        }
        if (t.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+")) {
            int dot = t.indexOf('.'); // datetime.Format: a function's value, then its fields
            String fn = t.substring(0, dot);
            return new Expr("(" + GoFunctions.call(fn, scope.function(fn), List.of()).text() + ")" + t.substring(dot), false);
        }
        throw new Untranslatable("'" + t + "' is not understood");
    }
}
