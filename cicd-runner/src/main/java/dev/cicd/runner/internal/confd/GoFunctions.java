package dev.cicd.runner.internal.confd;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Go template function call, with its arguments already translated, as a Pebble expression: the
 * comparison functions ({@code eq} -> {@code ==} ...), {@code and}, {@code or}, {@code not}, {@code len},
 * {@code index}, and confd's functions the runner's renderer provides ({@link #FUNCTIONS}).
 */
final class GoFunctions {

    /** confd functions the runner's renderer provides under the same name. */
    static final Set<String> FUNCTIONS = Set.of("getv", "exists", "gets", "getvs", "ls", "lsdir", "json", "jsonArray",
            "base", "dir", "split", "join", "toUpper", "toLower", "contains", "replace", "trimSuffix", "base64Encode",
            "base64Decode", "atoi", "add", "sub", "mul", "div", "mod", "seq", "datetime", "getenv");

    private static final Map<String, String> BINARY = Map.of("eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">",
            "ge", ">=");

    private GoFunctions() {
    }

    /** {@code fn} applied to {@code args}; every compound translation is parenthesised. */
    static String call(String fn, List<String> args) {
        if (BINARY.containsKey(fn)) {
            need(fn, args, 2);
            return "(" + args.get(0) + " " + BINARY.get(fn) + " " + args.get(1) + ")";
        }
        switch (fn) {
            case "and", "or" -> {
                if (args.size() < 2) {
                    throw new Untranslatable(fn + " needs at least two arguments");
                }
                return "(" + String.join(" " + fn + " ", args) + ")";
            }
            case "not" -> {
                need(fn, args, 1);
                return "(not " + args.get(0) + ")";
            }
            case "len" -> {
                need(fn, args, 1);
                return "(" + args.get(0) + " | length)";
            }
            case "index" -> {
                if (args.size() < 2) {
                    throw new Untranslatable("index needs a collection and a key");
                }
                StringBuilder b = new StringBuilder(args.get(0));
                for (String a : args.subList(1, args.size())) {
                    b.append('[').append(a).append(']');
                }
                return b.toString();
            }
            default -> {
                if (!FUNCTIONS.contains(fn)) {
                    throw new Untranslatable("function '" + fn + "' has no equivalent");
                }
                return fn + "(" + String.join(", ", args) + ")";
            }
        }
    }

    private static void need(String fn, List<String> args, int n) {
        if (args.size() != n) {
            throw new Untranslatable(fn + " needs " + n + " argument" + (n == 1 ? "" : "s"));
        }
    }
}
