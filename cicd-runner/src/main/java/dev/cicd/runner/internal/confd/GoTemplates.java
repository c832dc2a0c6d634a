package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.HashMap;
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
 *
 * <p>This class finds the actions in the text, feeds the text around them to the {@link ShellContext}
 * and writes the output; {@link GoTags} translates control structures and assignments,
 * {@link TemplateBranches} follows the shell's state through their branches, and {@link GoPipeline}
 * translates the expressions.
 */
public final class GoTemplates {

    /** The result: the Pebble text, and one entry per construct not translated. */
    public record Result(String pebble, List<String> untranslated) {
        public Result {
            untranslated = List.copyOf(untranslated);
        }
    }

    /** Called where an action was refused: no such function, so the template fails to render there. */
    static final String REFUSED = "import_confd_refused_an_unsafe_action_see_the_comment_before_it";

    /*
     * A range's body runs again from where it ended; when that is not where it began, the template is
     * translated again, up to PASSES times (see TemplateBranches).
     */
    private static final int PASSES = 4;

    private final String name;
    private final String src;
    private final boolean script;
    private final StringBuilder out = new StringBuilder();
    private final List<String> untranslated = new ArrayList<>();
    private final ShellContext shell = new ShellContext();
    private final TemplateBranches branches;
    private final GoTags tags;
    private boolean trimNext;
    private int line = 1;
    private int offset;

    private GoTemplates(String name, String src, boolean script, Map<Integer, ShellContext.Snapshot> seeds,
            Set<Integer> giveUp) {
        this.name = name;
        this.script = script;
        this.src = src;
        this.branches = new TemplateBranches(shell, seeds, giveUp);
        this.tags = new GoTags(branches);
    }

    /** Translates one template; {@code name} is used in the list of what was not translated. */
    public static Result translate(String name, String src) {
        return translate(name, src, true);
    }

    /**
     * Translates one template whose output is a file (the {@code file} action), not a script: values are
     * printed as they are, as confd does.
     */
    public static Result translateFile(String name, String src) {
        return translate(name, src, false);
    }

    private static Result translate(String name, String src, boolean script) {
        Map<Integer, ShellContext.Snapshot> seeds = new HashMap<>();
        Set<Integer> giveUp = Set.of();
        for (int pass = 1; ; pass++) {
            GoTemplates t = new GoTemplates(name, src, script, seeds, giveUp);
            Result r = t.run();
            if (t.branches.unstable().isEmpty() || pass > PASSES) {
                return r;
            }
            if (pass == PASSES) {
                giveUp = Set.copyOf(t.branches.unstable());
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
        for (String block : tags.unclosed()) {
            untranslated.add(name + ": {{" + block + "}} is never closed with {{end}}");
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
            String tag = tags.tag(body, line, offset);
            if (tag != null && tag.startsWith("# ")) {
                out.append("{").append(tag).append("}");
            } else if (tag != null) {
                out.append("{%").append(l).append(' ').append(tag).append(' ').append(r).append("%}");
            } else {
                String expr = new GoPipeline(body).pipeline();
                Where where = shell.where();
                if (!script) {
                    out.append("{{").append(l).append(' ').append(expr).append(' ').append(r).append("}}");
                } else if (where.kind() == Where.Kind.REFUSED) {
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
}
