package dev.cicd.runner.internal.confd;

import dev.cicd.runner.internal.confd.GoPipeline.Expr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The actions that become Pebble tags: {@code if}/{@code else if}/{@code else}, {@code range} (over any
 * pipeline, with or without {@code $i, $v :=}, with {@code else}), {@code with} (and {@code else}),
 * {@code end}, and variables ({@code $x := ...}, {@code $x = ...}). A range becomes
 * {@code for __rN in goRange(...)}, each element {@code __rN.v} (the dot and {@code $v}) with its index or
 * map key {@code __rN.k} ({@code $i}); a with {@code set __wN = ...} and {@code if goTruth(__wN)}, the
 * dot {@code __wN}. It keeps the open blocks and the {@link GoScope}, and tells {@link TemplateBranches}
 * where each block's branches begin and end; nested templates, {@code break} and {@code continue} are
 * {@link Untranslatable}.
 */
final class GoTags {

    private static final class Block {
        final String kind;
        final String action;
        int extraEnds;

        Block(String kind, String action) {
            this.kind = kind;
            this.action = action;
        }
    }

    private final Deque<Block> blocks = new ArrayDeque<>();
    private final TemplateBranches branches;
    private final GoScope scope;

    GoTags(TemplateBranches branches, GoScope scope) {
        this.branches = branches;
        this.scope = scope;
    }

    /** The blocks never closed with {@code end}, innermost first. */
    List<String> unclosed() {
        List<String> out = new ArrayList<>();
        blocks.forEach(b -> out.add(b.action));
        return out;
    }

    /** The Pebble expression of a pipeline whose value the action prints. */
    String print(String body) {
        return expr(body).text();
    }

    private Expr expr(String s) {
        return new GoPipeline(s, scope).pipeline();
    }

    /**
     * The Pebble tag for action {@code body} (at {@code line}, action at {@code offset}), without its
     * delimiters. Null if the action prints a value.
     */
    String tag(String body, int line, int offset) {
        String word = body.split("[\\s(]", 2)[0];
        switch (word) {
            case "end" -> {
                if (blocks.isEmpty()) {
                    throw new Untranslatable("{{end}} without an open block");
                }
                Block b = blocks.pop();
                branches.close();
                scope.pop();
                if (b.kind.equals("untranslated")) {
                    return "# end of the untranslated " + b.action.split("\\s", 2)[0] + " #";
                }
                String end = b.kind.equals("range") ? "endfor" : "endif";
                return end + " %}{% endif".repeat(b.extraEnds);
            }
            case "else" -> {
                return otherwise(body.substring(4).trim());
            }
            case "if", "with", "range" -> {
                String open;
                try {
                    open = word.equals("if") ? condition(body.substring(2), "if")
                            : word.equals("with") ? with(body.substring(4)) : range(body.substring(5).trim());
                } catch (Untranslatable e) {
                    blocks.push(new Block("untranslated", body));
                    scope.push(null);
                    branches.openUntranslated(line, offset); // its body stays in the output unconditionally
                    throw e;
                }
                blocks.push(new Block(word, body));
                if (word.equals("range")) {
                    branches.openRange(line, offset);
                } else {
                    branches.openIf(line, offset);
                }
                return open;
            }
            case "define", "template", "block" -> throw new Untranslatable("nested templates are not translated");
            case "break", "continue" -> throw new Untranslatable("'" + word + "' in a range is not translated");
            default -> {
                return assignment(body);
            }
        }
    }

    /** {@code else}, {@code else if c}, {@code else with x}. */
    private String otherwise(String rest) {
        Block b = blocks.peek();
        if (b == null) {
            throw new Untranslatable("{{else}} without an open block");
        }
        if (b.kind.equals("untranslated")) {
            throw new Untranslatable("the else of an untranslated " + b.action.split("\\s", 2)[0]);
        }
        branches.otherwise();
        scope.otherwise();
        if (rest.isEmpty()) {
            return "else";
        }
        if (rest.startsWith("if ") || rest.startsWith("if(")) {
            scope.pop(); // condition() enters the branch's scope
            String cond = condition(rest.substring(2), "if");
            if (b.kind.equals("if")) {
                return "else" + cond;
            }
            b.extraEnds++;
            return "else %}{% " + cond;
        }
        if (rest.startsWith("with ")) {
            b.extraEnds++;
            scope.pop(); // with() enters the branch's scope
            return "else %}{% " + with(rest.substring(4));
        }
        throw new Untranslatable("'else " + rest + "' is not understood");
    }

    /** The condition of an {@code if}: {@code if cond}, declaring {@code $x := ...} first when it does. */
    private String condition(String pipeline, String kind) {
        Declared d = declared(pipeline);
        scope.push(null);
        if (d.var == null) {
            return kind + " " + d.expr.condition();
        }
        String name = scope.declare(d.var);
        return "set " + name + " = " + d.expr.text() + " %}{% " + kind + " goTruth(" + name + ")";
    }

    /** A {@code with}: the value kept in a fresh variable, which becomes the dot when it is true. */
    private String with(String pipeline) {
        Declared d = declared(pipeline);
        String w = scope.fresh("w");
        scope.push(w);
        if (d.var != null) {
            scope.bind(d.var, w);
        }
        return "set " + w + " = " + d.expr.text() + " %}{% if goTruth(" + w + ")";
    }

    private String range(String rest) {
        int assign = rest.startsWith("$") ? declaration(rest) : -1;
        String[] vars = assign < 0 ? new String[0] : rest.substring(0, assign).split(",");
        if (vars.length > 2) {
            throw new Untranslatable("range declares at most two variables");
        }
        Expr e = expr(assign < 0 ? rest : rest.substring(assign + 2));
        String r = scope.fresh("r");
        scope.push(r + ".v");
        if (vars.length == 1) {
            scope.bind(variable(vars[0].trim()), r + ".v");
        } else if (vars.length == 2) {
            scope.bind(variable(vars[0].trim()), r + ".k");
            scope.bind(variable(vars[1].trim()), r + ".v");
        }
        return "for " + r + " in goRange(" + e.text() + ")";
    }

    private String assignment(String body) {
        if (!body.startsWith("$")) {
            return null;
        }
        int assign = declaration(body);
        int plain = assign < 0 ? plainAssignment(body) : -1;
        if (assign < 0 && plain < 0) {
            return null;
        }
        String var = variable(body.substring(0, assign > 0 ? assign : plain).trim());
        Expr e = expr(body.substring(assign > 0 ? assign + 2 : plain + 1));
        if (assign > 0) {
            return "set " + scope.declare(var) + " = " + e.text();
        }
        String target = scope.lookup(var);
        if (target == null) {
            throw new Untranslatable("undefined variable: $" + var);
        }
        if (!target.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new Untranslatable("assigning to the range variable $" + var + " is not translated");
        }
        return "set " + target + " = " + e.text();
    }

    private record Declared(String var, Expr expr) {
    }

    private Declared declared(String pipeline) {
        String p = pipeline.trim();
        int assign = p.startsWith("$") ? declaration(p) : -1;
        if (assign > 0) {
            return new Declared(variable(p.substring(0, assign).trim()), expr(p.substring(assign + 2)));
        }
        return new Declared(null, expr(p));
    }

    /** Where {@code :=} is, outside strings; -1 when there is none. */
    private static int declaration(String s) {
        int at = outsideStrings(s, ":=");
        return at;
    }

    /** Where a plain {@code =} after the variable is, e.g. {@code $x = 1}; -1 when there is none. */
    private static int plainAssignment(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\$[A-Za-z_][A-Za-z0-9_]*\\s*=(?!=)").matcher(s);
        return m.find() ? m.end() - 1 : -1;
    }

    private static int outsideStrings(String s, String what) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote != '`') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '`' || c == '\'') {
                quote = c;
            } else if (s.startsWith(what, i)) {
                return i;
            }
        }
        return -1;
    }

    private static String variable(String v) {
        if (!v.matches("\\$[A-Za-z_][A-Za-z0-9_]*")) {
            throw new Untranslatable("'" + v + "' is not a variable");
        }
        return v.substring(1);
    }
}
