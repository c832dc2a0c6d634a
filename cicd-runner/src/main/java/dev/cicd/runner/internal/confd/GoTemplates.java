package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates confd's Go templates into Pebble templates for the runner's renderer, action by action:
 * {@code {{if exists "/k"}}} -> {@code {% if exists("/k") %}}, {@code {{$d := json (getv "/k")}}} ->
 * {@code {% set d = json(getv("/k")) %}}, {@code {{$d.field}}} -> {@code {{ d.field | sh }}}; {@code if},
 * {@code else if}, {@code else}, {@code range} over any pipeline (the dot, {@code .Key}, {@code .Value},
 * {@code $i, $v :=}, {@code else}), {@code with}, nested blocks with Go's scoping, comments, pipelines
 * ({@code x | f a} -> {@code f(a, x)}), Go's built-ins ({@code eq}, {@code and}, {@code printf}, {@code len},
 * {@code index} ...) and confd's functions the renderer provides. Go's trim markers ({@code {{-} and
 * {@code -}}}) are applied here: the white space they remove is left out of the Pebble text.
 *
 * <p>{@link Output#FILE} prints values as Go does ({@code goPrint}), so the render is what confd wrote.
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

    /**
     * What a printed value is written as: {@link #SHELL} quotes it for the bash script the rendered plan
     * is ({@code | sh}, {@code | oneline}, refused where quoting does not protect it); {@link #FILE} writes
     * it as confd wrote it into {@code dest}, byte for byte ({@code goPrint}: Go's formatting).
     */
    public enum Output { SHELL, FILE }

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
    private final StringBuilder out = new StringBuilder();
    private final List<String> untranslated = new ArrayList<>();
    private final ShellContext shell = new ShellContext();
    private final TemplateBranches branches;
    private final GoTags tags;
    private final Output output;
    private boolean trimNext;
    private int line = 1;
    private int offset;

    private GoTemplates(String name, String src, Output output, Map<Integer, ShellContext.Snapshot> seeds,
            Set<Integer> giveUp) {
        this.name = name;
        this.src = src;
        this.output = output;
        this.branches = new TemplateBranches(shell, seeds, giveUp);
        this.tags = new GoTags(branches, new GoScope(output == Output.FILE));
    }

    /** Translates one template for a shell plan ({@link Output#SHELL}). */
    public static Result translate(String name, String src) {
        return translate(name, src, Output.SHELL);
    }

    /** Translates one template; {@code name} is used in the list of what was not translated. */
    public static Result translate(String name, String src, Output output) {
        Map<Integer, ShellContext.Snapshot> seeds = new HashMap<>();
        Set<Integer> giveUp = Set.of();
        for (int pass = 1; ; pass++) {
            GoTemplates t = new GoTemplates(name, src, output, seeds, giveUp);
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
            // Go trims only with "{{- " and " -}}": the dash next to the delimiter, then ASCII white space
            boolean trimLeft = inner.length() > 1 && inner.startsWith("-") && SPACE.indexOf(inner.charAt(1)) >= 0;
            boolean trimRight = inner.length() > 1 && inner.endsWith("-")
                    && SPACE.indexOf(inner.charAt(inner.length() - 2)) >= 0;
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

    /** The white space Go's trim markers remove. */
    private static final String SPACE = " \t\r\n";

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

    /**
     * Literal text, without the white space the actions around it trim (Go's {@code {{-} and {@code -}}}
     * remove all of it on their side, newlines included); the shell sees it as the script will.
     */
    private void text(String t, boolean trimEnd) {
        line += count(t);
        String kept = trimNext ? t.replaceFirst("^[ \\t\\r\\n]+", "") : t;
        kept = trimEnd ? kept.replaceFirst("[ \\t\\r\\n]+$", "") : kept;
        trimNext = false;
        literal(kept);
        shell.feed(kept);
    }

    /**
     * Text Pebble must print as it is: a {@code {} that would open a Pebble delimiter with the next
     * character ({@code {{}, {@code {%}, {@code {#}), or with what follows the text, is printed as a string.
     */
    private void literal(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '{' && (i + 1 == t.length() || "{%#".indexOf(t.charAt(i + 1)) >= 0)) {
                out.append("{{ \"{\" }}");
            } else {
                out.append(c);
            }
        }
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
        String l = "";
        String r = "";
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
                String expr = tags.print(body);
                Where where = shell.where();
                if (output == Output.SHELL && where.kind() == Where.Kind.REFUSED) {
                    untranslated.add(name + ":" + line + ": " + original.replace("\n", " ") + " (" + where.reason() + ")");
                    out.append("{#").append(l).append(" import-confd refused ").append(original.replace("#}", "# }"))
                            .append(": ").append(where.reason()).append(" #}{{ ").append(REFUSED).append("() ").append(r)
                            .append("}}");
                } else if (output == Output.FILE) {
                    out.append("{{ goPrint(").append(expr).append(") }}");
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
