package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Go template pipeline, as a Pebble expression: tokenizes it (strings, raw strings, parentheses,
 * {@code |}) and parses commands, piping each one's value into the next as its last argument
 * ({@code x | f a} -> {@code f(a, x)}); literals and {@code $variables} translate as they are, calls by
 * {@link GoFunctions}. The dot and {@code $} have no equivalent: {@link Untranslatable}.
 */
final class GoPipeline {

    private final List<String> tokens = new ArrayList<>();
    private int i;

    GoPipeline(String s) {
        tokenize(s.trim());
    }

    private void tokenize(String s) {
        int p = 0;
        while (p < s.length()) {
            char c = s.charAt(p);
            if (Character.isWhitespace(c)) {
                p++;
            } else if (c == '"') {
                int q = p + 1;
                while (q < s.length() && s.charAt(q) != '"') {
                    q += s.charAt(q) == '\\' ? 2 : 1;
                }
                if (q >= s.length()) {
                    throw new Untranslatable("unterminated string");
                }
                tokens.add(s.substring(p, q + 1));
                p = q + 1;
            } else if (c == '`') {
                int q = s.indexOf('`', p + 1);
                if (q < 0) {
                    throw new Untranslatable("unterminated raw string");
                }
                String raw = s.substring(p + 1, q);
                tokens.add('"' + raw.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
                p = q + 1;
            } else if (c == '(' || c == ')' || c == '|' || c == ',') {
                tokens.add(String.valueOf(c));
                p++;
            } else {
                int q = p;
                while (q < s.length() && !Character.isWhitespace(s.charAt(q)) && "()|,\"".indexOf(s.charAt(q)) < 0) {
                    q++;
                }
                tokens.add(s.substring(p, q));
                p = q;
            }
        }
    }

    String pipeline() {
        String result = command(null);
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
    private String command(String piped) {
        if (i >= tokens.size()) {
            throw new Untranslatable("empty command");
        }
        String head = tokens.get(i);
        boolean function = head.matches("[A-Za-z_][A-Za-z0-9_]*") && !Set.of("true", "false", "nil").contains(head);
        if (!function) {
            if (piped != null) {
                throw new Untranslatable("a value after '|' must be a function");
            }
            String t = term();
            if (i < tokens.size() && !tokens.get(i).equals("|") && !tokens.get(i).equals(")")) {
                throw new Untranslatable("'" + t + "' is not a function");
            }
            return t;
        }
        i++;
        List<String> args = new ArrayList<>();
        while (i < tokens.size() && !tokens.get(i).equals("|") && !tokens.get(i).equals(")")) {
            args.add(term());
        }
        if (piped != null) {
            args.add(piped);
        }
        return GoFunctions.call(head, args);
    }

    private String term() {
        String t = tokens.get(i++);
        if (t.equals("(")) {
            String inner = pipeline();
            if (i >= tokens.size() || !tokens.get(i).equals(")")) {
                throw new Untranslatable("missing ')'");
            }
            i++;
            return inner; // every compound translation is parenthesised already
        }
        if (t.startsWith("\"")) {
            return t;
        }
        if (t.matches("-?[0-9]+(\\.[0-9]+)?")) {
            return t;
        }
        if (t.equals("true") || t.equals("false")) {
            return t;
        }
        if (t.equals("nil")) {
            return "null";
        }
        if (t.matches("\\$[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            return t.substring(1);
        }
        if (t.equals("$")) {
            throw new Untranslatable("'$' (the root data) has no equivalent; use key, value or data");
        }
        if (t.startsWith(".")) {
            throw new Untranslatable("'" + t + "' reads the dot, which has no equivalent here");
        }
        if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return GoFunctions.call(t, List.of());
        }
        throw new Untranslatable("'" + t + "' is not understood");
    }
}
