package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Everything {@link ShellLexer} knows at one point on one way through the template's branches: the
 * stack of nesting levels ({@link Frame}s of a {@link K kind}), the heredocs whose body starts on the next
 * line, and the flags of the word and command so far. {@link #copy()} is a deep copy and {@link
 * #signature()} tells two states apart only if later text could land differently in them.
 */
final class ShellState {

    /** The kinds of nesting level: code (the top, {@code $(...)}), quotes, expansions, comments, heredocs. */
    enum K { TOP, SUB, DQ, SQ, ANSI, BACKTICK, PARAM, ARITH, ARITH_BRACKET, DBRACKET, SUBSCRIPT, COMMENT,
        HEREDOC_WORD, HEREDOC }

    /** Commands whose arguments bash runs as code or arithmetic. */
    static final Set<String> EVALUATING = Set.of("let", "eval");

    /** One nesting level; a copy is a deep copy. */
    static final class Frame {
        K kind;
        int depth;
        boolean wholeLine;
        boolean justOpened;
        boolean closing;
        String command;
        // heredocs: the delimiter, and in a body the line so far
        StringBuilder text = new StringBuilder();
        StringBuilder line = new StringBuilder();
        boolean lineUnknown;
        boolean quoted;
        boolean stripTabs;
        boolean dirty;
        boolean first = true;
        boolean started;
        boolean escape;
        char inQuote;

        Frame(K kind) {
            this.kind = kind;
        }

        Frame copy() {
            Frame f = new Frame(kind);
            f.depth = depth;
            f.wholeLine = wholeLine;
            f.justOpened = justOpened;
            f.closing = closing;
            f.command = command;
            f.text = new StringBuilder(text);
            f.line = new StringBuilder(line);
            f.lineUnknown = lineUnknown;
            f.quoted = quoted;
            f.stripTabs = stripTabs;
            f.dirty = dirty;
            f.first = first;
            f.started = started;
            f.escape = escape;
            f.inQuote = inQuote;
            return f;
        }

        String signature() {
            return kind + "/" + depth + "/" + wholeLine + "/" + justOpened + "/" + closing + "/" + command + "/"
                    + (kind == K.HEREDOC || kind == K.HEREDOC_WORD ? text + "/" + quoted + "/" + stripTabs + "/" + dirty
                            + "/" + first + "/" + started + "/" + escape + "/" + (int) inQuote + "/" + lineClass() : "");
        }

        /** What of a heredoc body's line so far decides whether it ends the document. */
        private String lineClass() {
            String l = stripTabs ? line.toString().replaceFirst("^\t+", "") : line.toString();
            return lineUnknown || !text.toString().startsWith(l) ? "no" : l;
        }
    }

    final Deque<Frame> stack = new ArrayDeque<>();
    final List<Frame> pending = new ArrayList<>();
    boolean wordStart = true;
    boolean lineBlank = true;
    boolean commandStart = true;
    boolean escaped;
    boolean dollar;
    int lt;
    boolean parenAtWordStart;
    boolean bracketAtWordStart;
    boolean bracketClose;
    final StringBuilder word = new StringBuilder();
    String poisoned;

    ShellState copy() {
        ShellState s = new ShellState();
        for (Iterator<Frame> it = stack.descendingIterator(); it.hasNext(); ) {
            s.stack.push(it.next().copy());
        }
        pending.forEach(f -> s.pending.add(f.copy()));
        s.wordStart = wordStart;
        s.lineBlank = lineBlank;
        s.commandStart = commandStart;
        s.escaped = escaped;
        s.dollar = dollar;
        s.lt = lt;
        s.parenAtWordStart = parenAtWordStart;
        s.bracketAtWordStart = bracketAtWordStart;
        s.bracketClose = bracketClose;
        s.word.append(word);
        s.poisoned = poisoned;
        return s;
    }

    /** Equal for two states only if every later text lands in the same place in both. */
    String signature() {
        if (poisoned != null) {
            return "poisoned: " + poisoned;
        }
        StringBuilder b = new StringBuilder();
        stack.forEach(f -> b.append(f.signature()).append(';'));
        b.append('|');
        pending.forEach(f -> b.append(f.signature()).append(';'));
        return b + "|" + escaped + dollar + lt + parenAtWordStart + bracketAtWordStart + bracketClose + wordStart
                + lineBlank + commandStart + "|" + wordClass() + "|" + poisoned;
    }

    /** What of the word so far decides what comes later: a start of let or eval, an identifier, or other. */
    private String wordClass() {
        String w = word.toString();
        if (EVALUATING.stream().anyMatch(e -> e.startsWith(w))) {
            return w;
        }
        return w.matches("[A-Za-z_][A-Za-z0-9_]*") ? "identifier" : "other";
    }
}
