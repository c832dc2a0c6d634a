package dev.cicd.runner.internal.confd;

import dev.cicd.runner.internal.confd.GoPipeline.Expr;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Go template function call, with its arguments already translated, as a Pebble expression: Go's
 * built-ins ({@code eq} -> {@code ==}, {@code lt} -> {@code goCmp(a, b) < 0}, {@code and}/{@code or}/
 * {@code not} on Go's truth, {@code len}, {@code index}, {@code printf}, {@code print}, {@code println})
 * and confd's functions, which the renderer provides under the same names ({@link #FUNCTIONS}).
 */
final class GoFunctions {

    /** confd functions the renderer provides under the same name. */
    static final Set<String> FUNCTIONS = Set.of("get", "getv", "exists", "gets", "getvs", "ls", "lsdir", "json",
            "jsonArray", "base", "dir", "split", "join", "toUpper", "toLower", "contains", "replace", "trimSuffix",
            "base64Encode", "base64Decode", "atoi", "add", "sub", "mul", "div", "mod", "seq", "datetime", "getenv",
            "map", "reverse", "sortByLength", "sortKVByLength", "parseBool", "lookupIP", "lookupSRV", "printf", "print",
            "println");

    /** Functions whose value is a boolean, usable as a condition as it is. */
    private static final Set<String> BOOLEAN = Set.of("exists", "contains", "parseBool");

    private static final Map<String, String> ORDER = Map.of("lt", "<", "le", "<=", "gt", ">", "ge", ">=");

    private GoFunctions() {
    }

    /**
     * {@code fn} applied to {@code args}, calling the renderer's {@code as} for a confd function; every
     * compound translation is parenthesised.
     */
    static Expr call(String fn, String as, List<Expr> args) {
        if (ORDER.containsKey(fn)) {
            need(fn, args, 2);
            return new Expr("(goCmp(" + args.get(0).text() + ", " + args.get(1).text() + ") " + ORDER.get(fn) + " 0)", true);
        }
        switch (fn) {
            case "eq", "ne" -> {
                if (args.size() < 2 || (fn.equals("ne") && args.size() != 2)) {
                    throw new Untranslatable(fn + (fn.equals("eq") ? " needs at least two arguments" : " needs 2 arguments"));
                }
                String e = args.size() == 2 ? "(" + args.get(0).text() + " == " + args.get(1).text() + ")"
                        : "goEq(" + texts(args) + ")";
                return new Expr(fn.equals("ne") ? "(not " + e + ")" : e, true);
            }
            case "and", "or" -> {
                if (args.size() < 2) {
                    throw new Untranslatable(fn + " needs at least two arguments");
                }
                return new Expr("(" + args.stream().map(Expr::condition).collect(Collectors.joining(" " + fn + " ")) + ")",
                        true);
            }
            case "not" -> {
                need(fn, args, 1);
                return new Expr("(not " + args.get(0).condition() + ")", true);
            }
            case "len" -> {
                need(fn, args, 1);
                return new Expr("goLen(" + args.get(0).text() + ")", false);
            }
            case "index" -> {
                if (args.isEmpty()) {
                    throw new Untranslatable("index needs a collection");
                }
                return new Expr("goIndex(" + texts(args) + ")", false);
            }
            default -> {
                if (!FUNCTIONS.contains(fn)) {
                    throw new Untranslatable("function '" + fn + "' has no equivalent");
                }
                return new Expr(as + "(" + texts(args) + ")", BOOLEAN.contains(fn));
            }
        }
    }

    private static String texts(List<Expr> args) {
        return args.stream().map(Expr::text).collect(Collectors.joining(", "));
    }

    private static void need(String fn, List<Expr> args, int n) {
        if (args.size() != n) {
            throw new Untranslatable(fn + " needs " + n + " argument" + (n == 1 ? "" : "s"));
        }
    }
}
