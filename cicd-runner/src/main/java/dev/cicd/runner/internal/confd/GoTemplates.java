package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates confd's Go templates into Pebble templates for the runner's renderer, action by action:
 * {@code {{if exists "/k"}}} -> {@code {% if exists("/k") %}}, {@code {{$d := json (getv "/k")}}} ->
 * {@code {% set d = json(getv("/k")) %}}, {@code {{$d.field}}} -> {@code {{ d.field | sh }}}, {@code getv},
 * {@code else}, {@code end}, {@code range $v := ...}, comments, pipelines ({@code x | f a} -> {@code f(a, x)}),
 * comparison and logic functions, and confd's functions the renderer provides.
 *
 * <p>The plan is a bash script (the import's action is {@code shell}), and every printed value is made
 * safe for it by where it lands ({@link ShellContext}): {@code | sh} (one quoted word) in a plain word of
 * a command, {@code | oneline} on a comment line of its own ({@code # ...}). Where neither protects - in a
 * double-quoted, single-quoted or {@code $'...'} string, a heredoc, a backtick substitution, after a
 * {@code #} that starts a comment on a command line, right after {@code $} or a backslash, in arithmetic,
 * {@code ${...}}, {@code [[ ]]}, an array subscript, {@code let} or {@code eval}, or where the ways through
 * the {@code if}s and {@code range}s before it disagree - the value is refused: listed with its line
 * and the reason, and replaced by a comment and a call of {@value #REFUSED}, which does not exist, so the
 * template fails to render rather than run. What cannot be translated otherwise is left as a Pebble
 * comment and listed with its line.
 */
public final class GoTemplates {

    /** The result: the Pebble text, and one entry per construct not translated. */
    public record Result(String pebble, List<String> untranslated) {
        public Result {
            untranslated = List.copyOf(untranslated);
        }
    }

    /** confd functions the runner's renderer provides under the same name. */
    static final Set<String> FUNCTIONS = Set.of("getv", "exists", "gets", "getvs", "ls", "lsdir", "json", "jsonArray",
            "base", "dir", "split", "join", "toUpper", "toLower", "contains", "replace", "trimSuffix", "base64Encode",
            "base64Decode", "atoi", "add", "sub", "mul", "div", "mod", "seq", "datetime", "getenv");

    /** Called where an action was refused: no such function, so the template fails to render there. */
    static final String REFUSED = "import_confd_refused_an_unsafe_action_see_the_comment_before_it";

    private static final Map<String, String> BINARY = Map.of("eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">",
            "ge", ">=");

    private final String name;
    private final String src;
    private final StringBuilder out = new StringBuilder();
    private final List<String> untranslated = new ArrayList<>();
    private final Deque<String> blocks = new ArrayDeque<>();
    private final ShellContext shell = new ShellContext();
    private final Deque<Branch> branches = new ArrayDeque<>();
    private boolean trimNext;
    private int line = 1;
    private int offset;

    /*
     * A range's body runs again from where it ended. When that is not where it began, the template is
     * translated again with the body starting from both (seeds, by the offset of the range action), up
     * to PASSES times; a body that still moves the quoting on has every value in it and after it refused.
     */
    private static final int PASSES = 4;
    private final Map<Integer, ShellContext.Snapshot> seeds;
    private final Set<Integer> giveUp;
    private final Set<Integer> unstable = new HashSet<>();

    /** An open {@code if} or {@code range}: the shell state at its start and at the end of each branch so far. */
    private static final class Branch {
        final String what;
        final int line;
        final int offset;
        final ShellContext.Snapshot start;
        final List<ShellContext.Snapshot> ends = new ArrayList<>();
        boolean hasElse;

        Branch(String what, int line, int offset, ShellContext.Snapshot start) {
            this.what = what;
            this.line = line;
            this.offset = offset;
            this.start = start;
        }
    }

    private GoTemplates(String name, String src, Map<Integer, ShellContext.Snapshot> seeds, Set<Integer> giveUp) {
        this.name = name;
        this.src = src;
        this.seeds = seeds;
        this.giveUp = giveUp;
    }

    /** Translates one template; {@code name} is used in the list of what was not translated. */
    public static Result translate(String name, String src) {
        Map<Integer, ShellContext.Snapshot> seeds = new HashMap<>();
        Set<Integer> giveUp = Set.of();
        for (int pass = 1; ; pass++) {
            GoTemplates t = new GoTemplates(name, src, seeds, giveUp);
            Result r = t.run();
            if (t.unstable.isEmpty() || pass > PASSES) {
                return r;
            }
            if (pass == PASSES) {
                giveUp = Set.copyOf(t.unstable);
            }
        }
    }

    private Result run() {
        int pos = 0;
        while (pos < src.length()) {
            int open = src.indexOf("{{", pos);
            if (open < 0) {
                text(src.substring(pos), false);
                break;
            }
            int close = closing(open);
            if (close < 0) {
                text(src.substring(pos, open), false);
                untranslated.add(name + ":" + line + ": an action without closing }}");
                text(src.substring(open), false);
                break;
            }
            String inner = src.substring(open + 2, close);
            boolean trimLeft = inner.startsWith("-") && (inner.length() == 1 || Character.isWhitespace(inner.charAt(1)));
            boolean trimRight = inner.endsWith("-") && inner.length() > 1 && Character.isWhitespace(inner.charAt(inner.length() - 2));
            text(src.substring(pos, open), trimLeft);
            String body = inner.substring(trimLeft ? 1 : 0, inner.length() - (trimRight ? 1 : 0)).trim();
            offset = open;
            action(body, src.substring(open, close + 2), trimLeft, trimRight);
            trimNext = trimRight;
            line += count(src.substring(open, close + 2));
            pos = close + 2;
        }
        while (!blocks.isEmpty()) {
            untranslated.add(name + ": {{" + blocks.pop() + "}} is never closed with {{end}}");
        }
        return new Result(out.toString(), untranslated);
    }

    private int closing(int open) {
        int i = open + 2;
        String rest = src.substring(i).stripLeading();
        if (rest.startsWith("/*") || rest.startsWith("- /*")) {
            int end = src.indexOf("*/", i);
            return end < 0 ? -1 : src.indexOf("}}", end);
        }
        char quote = 0;
        for (; i < src.length() - 1; i++) {
            char c = src.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '`') {
                quote = c;
            } else if (c == '}' && src.charAt(i + 1) == '}') {
                return i;
            }
        }
        return -1;
    }

    /** Literal text; the shell sees it as the script will, with the whitespace the actions around it trim. */
    private void text(String t, boolean trimEnd) {
        if (t.contains("{%") || t.contains("{#")) {
            out.append("{% verbatim %}").append(t).append("{% endverbatim %}");
        } else {
            out.append(t);
        }
        line += count(t);
        String script = trimNext ? t.replaceFirst("^[ \\t\\r\\n]+", "") : t;
        shell.feed(trimEnd ? script.replaceFirst("[ \\t\\r\\n]+$", "") : script);
        trimNext = false;
    }

    private static int count(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private void action(String body, String original, boolean trimLeft, boolean trimRight) {
        String l = trimLeft ? "-" : "";
        String r = trimRight ? "-" : "";
        if (body.startsWith("/*")) {
            String c = body.endsWith("*/") ? body.substring(2, body.length() - 2) : body.substring(2);
            out.append("{#").append(l).append(c.replace("#}", "# }")).append(r).append("#}");
            return;
        }
        try {
            String tag = tag(body);
            if (tag != null && tag.startsWith("# ")) {
                out.append("{").append(tag).append("}");
            } else if (tag != null) {
                out.append("{%").append(l).append(' ').append(tag).append(' ').append(r).append("%}");
            } else {
                String expr = new Expr(body).pipeline();
                Where where = shell.where();
                if (where.kind() == Where.Kind.REFUSED) {
                    untranslated.add(name + ":" + line + ": " + original.replace("\n", " ") + " (" + where.reason() + ")");
                    out.append("{#").append(l).append(" import-confd refused ").append(original.replace("#}", "# }"))
                            .append(": ").append(where.reason()).append(" #}{{ ").append(REFUSED).append("() ").append(r)
                            .append("}}");
                } else {
                    String filter = where.kind() == Where.Kind.COMMENT_LINE ? "| oneline" : "| sh";
                    out.append("{{").append(l).append(' ').append(expr).append(' ').append(filter).append(' ').append(r).append("}}");
                }
                shell.feed(String.valueOf(ShellContext.VALUE));
            }
        } catch (Untranslatable e) {
            untranslated.add(name + ":" + line + ": " + original.replace("\n", " ") + " (" + e.getMessage() + ")");
            out.append("{# import-confd could not translate: ").append(original.replace("#}", "# }")).append(" #}");
        }
    }

    private String tag(String body) {
        if (body.equals("end")) {
            if (blocks.isEmpty()) {
                throw new Untranslatable("{{end}} without an open block");
            }
            String b = blocks.pop();
            endBranch();
            if (b.equals("with")) {
                return "# end of the untranslated with #";
            }
            return b.equals("range") ? "endfor" : "endif";
        }
        if (body.equals("else")) {
            elseBranch();
            return "else";
        }
        if (body.startsWith("else if ")) {
            String e = new Expr(body.substring(8)).pipeline();
            elseBranch();
            return "elseif " + e;
        }
        if (body.startsWith("if ")) {
            String e = new Expr(body.substring(3)).pipeline();
            blocks.push("if");
            branches.push(new Branch("if", line, offset, shell.snapshot()));
            return "if " + e;
        }
        if (body.startsWith("with ")) {
            blocks.push("with");
            branches.push(new Branch("with", line, offset, null)); // its body stays in the output unconditionally
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
            String e = new Expr(rest.substring(assign + 2)).pipeline();
            blocks.push("range");
            branches.push(new Branch("range", line, offset, rangeStart()));
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
            String e = new Expr(body.substring(at + (assign > 0 ? 2 : 3))).pipeline();
            return "set " + var + " = " + e;
        }
        return null;
    }

    private void elseBranch() {
        Branch b = branches.peek();
        if (b != null && b.start != null) {
            b.ends.add(shell.snapshot());
            b.hasElse = true;
            shell.restore(b.start);
        }
    }

    /**
     * After {@code end}: the script may be in the state any branch left it in (a range's body may also run
     * again or not at all); a later value is placed only where it lands the same way in all of them.
     */
    private void endBranch() {
        Branch b = branches.pop();
        if (b.start == null) {
            return;
        }
        b.ends.add(shell.snapshot());
        if (!b.hasElse || b.what.equals("range")) {
            b.ends.add(b.start);
        }
        if (b.what.equals("range") && !ShellContext.covers(b.start, b.ends.get(0))) {
            unstable.add(b.offset);
            seeds.merge(b.offset, b.ends.get(0), (x, y) -> ShellContext.union(List.of(x, y)));
        }
        shell.join(b.ends);
    }

    /** The states a range's body starts in: where the range is, and where earlier passes saw the body end. */
    private ShellContext.Snapshot rangeStart() {
        if (giveUp.contains(offset)) {
            shell.poison("in or after the {{range}} at line " + line + ", whose body leaves the script in different"
                    + " quoting states each time it runs");
        } else if (seeds.containsKey(offset)) {
            shell.join(List.of(shell.snapshot(), seeds.get(offset)));
        }
        return shell.snapshot();
    }

    private static String variable(String v) {
        if (!v.matches("\\$[A-Za-z_][A-Za-z0-9_]*")) {
            throw new Untranslatable("'" + v + "' is not a variable");
        }
        return v.substring(1);
    }

    static final class Untranslatable extends RuntimeException {
        Untranslatable(String message) {
            super(message);
        }
    }

    /** A Go template pipeline, as a Pebble expression. */
    private static final class Expr {
        private final List<String> tokens = new ArrayList<>();
        private int i;

        Expr(String s) {
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
            return call(head, args);
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
                return call(t, List.of());
            }
            throw new Untranslatable("'" + t + "' is not understood");
        }

        private static String call(String fn, List<String> args) {
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
}
