package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The actions that become Pebble tags: the control structures {@code if}, {@code else}, {@code else if},
 * {@code range $v := ...} (and {@code range $i, $v := ...}), {@code end}, and variable assignments
 * ({@code $d := ...} -> {@code set d = ...}). It keeps the open blocks and tells {@link TemplateBranches}
 * where each one's branches begin and end; {@code with} and nested templates are {@link Untranslatable}.
 */
final class GoTags {

    private final Deque<String> blocks = new ArrayDeque<>();
    private final TemplateBranches branches;

    GoTags(TemplateBranches branches) {
        this.branches = branches;
    }

    /** The blocks never closed with {@code end}, innermost first. */
    List<String> unclosed() {
        return List.copyOf(blocks);
    }

    /**
     * The Pebble tag for action {@code body} (at {@code line}, action at {@code offset}), without its
     * delimiters; a {@code # ... #} one is a comment. Null if the action prints a value.
     */
    String tag(String body, int line, int offset) {
        if (body.equals("end")) {
            if (blocks.isEmpty()) {
                throw new Untranslatable("{{end}} without an open block");
            }
            String b = blocks.pop();
            branches.close();
            if (b.equals("with")) {
                return "# end of the untranslated with #";
            }
            return b.equals("range") ? "endfor" : "endif";
        }
        if (body.equals("else")) {
            branches.otherwise();
            return "else";
        }
        if (body.startsWith("else if ")) {
            String e = new GoPipeline(body.substring(8)).pipeline();
            branches.otherwise();
            return "elseif " + e;
        }
        if (body.startsWith("if ")) {
            String e = new GoPipeline(body.substring(3)).pipeline();
            blocks.push("if");
            branches.openIf(line, offset);
            return "if " + e;
        }
        if (body.startsWith("with ")) {
            blocks.push("with");
            branches.openWith(line, offset); // its body stays in the output unconditionally
            throw new Untranslatable("'with' changes the dot; rewrite it with a variable");
        }
        if (body.startsWith("range ")) {
            String rest = body.substring(6).trim();
            int assign = rest.indexOf(":=");
            if (assign < 0) {
                throw new Untranslatable("'range' without a variable changes the dot; write range $x := ...");
            }
            String[] vars = rest.substring(0, assign).split(",");
            String item = variable(vars[vars.length - 1].trim());
            String e = new GoPipeline(rest.substring(assign + 2)).pipeline();
            blocks.push("range");
            branches.openRange(line, offset);
            if (vars.length == 2) {
                String index = variable(vars[0].trim());
                return "for " + item + " in " + e + " %}{% set " + index + " = loop.index";
            }
            return "for " + item + " in " + e;
        }
        if (body.startsWith("define ") || body.startsWith("template ") || body.startsWith("block ")) {
            throw new Untranslatable("nested templates are not translated");
        }
        int assign = body.indexOf(":=");
        int plain = assign < 0 ? body.indexOf(" = ") : -1;
        if (body.startsWith("$") && (assign > 0 || plain > 0)) {
            int at = assign > 0 ? assign : plain;
            String var = variable(body.substring(0, at).trim());
            String e = new GoPipeline(body.substring(at + (assign > 0 ? 2 : 3))).pipeline();
            return "set " + var + " = " + e;
        }
        return null;
    }

    private static String variable(String v) {
        if (!v.matches("\\$[A-Za-z_][A-Za-z0-9_]*")) {
            throw new Untranslatable("'" + v + "' is not a variable");
        }
        return v.substring(1);
    }
}
