package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Where in a bash script a template action lands. Fed the literal text of a template (and
 * {@link #VALUE} for each printed value), it follows bash's quoting: single, double and {@code $'...'}
 * quotes, {@code $(...)}, backticks, {@code ${...}}, arithmetic ({@code $((...))}, {@code ((...))},
 * {@code $[...]}), {@code [[ ... ]]}, array subscripts, {@code #} comments and heredocs.
 *
 * <p>{@link #where()} tells whether a value printed at the current point is a plain word, where the
 * {@code sh} filter's single quotes make it one literal word, on a comment line of its own, where the
 * {@code oneline} filter keeps it in the comment, or somewhere neither protects, with the reason. A
 * template's {@code if}/{@code else} and {@code range} make several scripts of one template, so the
 * lexer keeps one state per way through them ({@link #snapshot()}, {@link #restore}, {@link #join}, at
 * most {@value #MAX_STATES}) and places a value only where it lands the same way in all.
 *
 * <p>It is a model of bash's lexer, not bash. Not modelled: {@code case} patterns inside {@code $(...)}
 * (their {@code )} ends the substitution early here), {@code declare -i} variables (an assignment to one
 * evaluates arithmetic) and commands that run an argument as code ({@code sh -c}, {@code ssh}); a value
 * passed to those is the template's design, not a quoting question.
 */
final class ShellContext {

    /** Stands for a printed value in the text fed: one quoted word, or text on a comment line. */
    static final char VALUE = '\uE000';

    /** Where a printed value lands. */
    record Where(Kind kind, String reason) {
        enum Kind { WORD, COMMENT_LINE, REFUSED }

        static final Where WORD = new Where(Kind.WORD, null);
        static final Where COMMENT_LINE = new Where(Kind.COMMENT_LINE, null);

        static Where refused(String reason) {
            return new Where(Kind.REFUSED, reason);
        }
    }

    private enum K { TOP, SUB, DQ, SQ, ANSI, BACKTICK, PARAM, ARITH, ARITH_BRACKET, DBRACKET, SUBSCRIPT, COMMENT,
        HEREDOC_WORD, HEREDOC }

    private static final Set<String> COMMAND_PREFIXES = Set.of("then", "do", "else", "elif", "if", "while", "until",
            "!", "{", "time");
    private static final Set<String> EVALUATING = Set.of("let", "eval");

    /** One nesting level; a copy is a deep copy. */
    private static final class Frame {
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

    /** Everything the lexer knows at one point on one way through the template's branches. */
    static final class State {
        private final Deque<Frame> stack = new ArrayDeque<>();
        private final List<Frame> pending = new ArrayList<>();
        private boolean wordStart = true;
        private boolean lineBlank = true;
        private boolean commandStart = true;
        private boolean escaped;
        private boolean dollar;
        private int lt;
        private boolean parenAtWordStart;
        private boolean bracketAtWordStart;
        private boolean bracketClose;
        private final StringBuilder word = new StringBuilder();
        private String poisoned;

        State copy() {
            State s = new State();
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

    /** The states of the script at the current point, one per way the branches before it can have gone. */
    static final class Snapshot {
        private final List<State> states;

        private Snapshot(List<State> states) {
            this.states = states.stream().map(State::copy).toList();
        }
    }

    /** More than this many ways through the branches so far, and every later value is refused. */
    static final int MAX_STATES = 64;

    private List<State> states = new ArrayList<>();
    private State s;

    ShellContext() {
        State start = new State();
        start.stack.push(new Frame(K.TOP));
        states.add(start);
    }

    Snapshot snapshot() {
        return new Snapshot(states);
    }

    void restore(Snapshot snapshot) {
        states = new ArrayList<>(new Snapshot(snapshot.states).states);
    }

    /** Continues after a block whose branches ended in {@code ends}: from any of their states. */
    void join(List<Snapshot> ends) {
        List<State> all = new ArrayList<>();
        ends.forEach(e -> all.addAll(new Snapshot(e.states).states));
        states = all;
        dedupe();
    }

    /** Any of the states of {@code snapshots}. */
    static Snapshot union(List<Snapshot> snapshots) {
        ShellContext c = new ShellContext();
        c.join(snapshots);
        return c.snapshot();
    }

    /** From here on every value is refused, for {@code reason}. */
    void poison(String reason) {
        State p = states.get(0).copy();
        p.poisoned = reason;
        states = new ArrayList<>(List.of(p));
    }

    /** Whether every state of {@code b} is one of {@code a}'s. */
    static boolean covers(Snapshot a, Snapshot b) {
        Set<String> have = new java.util.HashSet<>();
        a.states.forEach(st -> have.add(st.signature()));
        return b.states.stream().allMatch(st -> have.contains(st.signature()));
    }

    private void dedupe() {
        java.util.Map<String, State> bySignature = new java.util.LinkedHashMap<>();
        for (State st : states) {
            bySignature.putIfAbsent(st.signature(), st);
        }
        states = new ArrayList<>(bySignature.values());
        if (states.size() > MAX_STATES) {
            State poisoned = states.get(0);
            poisoned.poisoned = "after more than " + MAX_STATES + " ways through the {{if}}s and {{range}}s before it,"
                    + " which the import does not follow further";
            states = new ArrayList<>(List.of(poisoned));
        }
    }

    /**
     * Where a value printed at this point lands: where it lands in every state the branches before it
     * can leave, or refused if that differs.
     */
    Where where() {
        Where first = null;
        for (State st : states) {
            Where w = where(st);
            if (w.kind() == Where.Kind.REFUSED) {
                return states.size() == 1 ? w : Where.refused(w.reason() + " (after one of the ways through the"
                        + " {{if}}s and {{range}}s before it)");
            }
            if (first == null) {
                first = w;
            } else if (first.kind() != w.kind()) {
                return Where.refused("in a comment or in a command, depending on the way through the {{if}}s and"
                        + " {{range}}s before it");
            }
        }
        return first;
    }

    private static Where where(State s) {
        if (s.poisoned != null) {
            return Where.refused(s.poisoned);
        }
        if (s.escaped) {
            return Where.refused("right after a backslash: it would escape the sh filter's opening quote");
        }
        if (s.dollar) {
            return Where.refused("right after '$': the sh filter's quotes would become a $'...' string, which reads"
                    + " backslash escapes");
        }
        Frame top = s.stack.peek();
        if (s.lt == 2 && (top.kind == K.TOP || top.kind == K.SUB)) {
            return Where.refused("as a heredoc delimiter: the end of the document would depend on the value");
        }
        for (Frame f : s.stack) {
            String reason = reason(f);
            if (reason != null) {
                return Where.refused(reason);
            }
        }
        return top.kind == K.COMMENT ? Where.COMMENT_LINE : Where.WORD;
    }

    private static String reason(Frame f) {
        return switch (f.kind) {
            case TOP, SUB -> f.command == null ? null : "in " + (f.command.equals("let") ? "a let command: bash evaluates"
                    + " its arguments as arithmetic, where a[$(id)] runs even when quoted"
                    : "an eval command: eval runs its arguments as shell code");
            case DQ -> "inside a double-quoted string: the sh filter's single quotes do not protect there";
            case SQ -> "inside a single-quoted string: the sh filter's quotes would end it and leave the value unquoted";
            case ANSI -> "inside a $'...' string: the sh filter's quotes would end it and leave the value unquoted";
            case BACKTICK -> "inside a backtick command substitution: a backtick in the value would end it, quotes"
                    + " or not";
            case PARAM -> "inside ${...}: a subscript or operator there may evaluate the value as arithmetic";
            case ARITH, ARITH_BRACKET -> "inside an arithmetic expression: bash expands and evaluates a quoted value"
                    + " there, where a[$(id)] runs";
            case DBRACKET -> "inside [[ ]]: -eq and the other arithmetic tests evaluate a quoted value, where a[$(id)]"
                    + " runs";
            case SUBSCRIPT -> "inside an array subscript: bash evaluates it as arithmetic, where a[$(id)] runs even"
                    + " when quoted";
            case COMMENT -> f.wholeLine ? null : "after '#' on a command line: the sh filter's quotes do not hold in a"
                    + " comment and only comment lines of their own get the oneline filter";
            case HEREDOC_WORD -> "as a heredoc delimiter: the end of the document would depend on the value";
            case HEREDOC -> f.quoted
                    ? "inside a heredoc body: a value could end the document with a line '" + f.text
                            + "' and run what follows; the sh filter's quotes would be written into it literally"
                    : "inside a heredoc body: bash expands $(...) there and the sh filter's single quotes do not protect";
        };
    }

    void feed(CharSequence text) {
        if (text.length() == 0) {
            return;
        }
        for (State st : states) {
            s = st;
            for (int i = 0; i < text.length(); i++) {
                step(text.charAt(i));
            }
        }
        s = null;
        dedupe();
    }

    private void step(char c) {
        Frame f = s.stack.peek();
        switch (f.kind) {
            case COMMENT -> {
                if (c == '\n') {
                    s.stack.pop();
                    step(c);
                }
            }
            case SQ -> {
                if (c == '\'') {
                    pop();
                }
            }
            case ANSI, BACKTICK -> {
                if (s.escaped) {
                    s.escaped = false;
                } else if (c == '\\') {
                    s.escaped = true;
                } else if (c == (f.kind == K.ANSI ? '\'' : '`')) {
                    pop();
                }
            }
            case DQ -> doubleQuoted(c);
            case HEREDOC_WORD -> heredocWord(f, c);
            case HEREDOC -> heredoc(f, c);
            default -> code(f, c);
        }
        if (c == '\n') {
            s.lineBlank = true;
        } else if (c != ' ' && c != '\t') {
            s.lineBlank = false;
        }
    }

    private Frame push(K kind) {
        Frame f = new Frame(kind);
        s.stack.push(f);
        return f;
    }

    private void pop() {
        s.stack.pop();
        s.wordStart = false;
        s.commandStart = false;
    }

    private void doubleQuoted(char c) {
        if (s.escaped) {
            s.escaped = false;
            return;
        }
        if (s.dollar) {
            s.dollar = false;
            if (opensAfterDollar(c, false)) {
                return;
            }
        }
        switch (c) {
            case '\\' -> s.escaped = true;
            case '"' -> pop();
            case '$' -> s.dollar = true;
            case '`' -> push(K.BACKTICK);
            default -> {
            }
        }
    }

    /** {@code $(}, {@code ${}, {@code $[}, and outside double quotes {@code $'} and {@code $"}. */
    private boolean opensAfterDollar(char c, boolean code) {
        switch (c) {
            case '(' -> {
                push(K.SUB).justOpened = true;
                s.wordStart = true;
                s.commandStart = true;
                s.word.setLength(0);
            }
            case '{' -> push(K.PARAM);
            case '[' -> push(K.ARITH_BRACKET);
            case '\'' -> {
                if (!code) {
                    return false;
                }
                push(K.ANSI);
            }
            case '"' -> {
                if (!code) {
                    return false;
                }
                push(K.DQ);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void code(Frame f, char c) {
        boolean parenStart = s.parenAtWordStart;
        boolean bracketStart = s.bracketAtWordStart;
        boolean bracketClose = s.bracketClose;
        boolean justOpened = f.justOpened;
        int lt = s.lt;
        s.parenAtWordStart = false;
        s.bracketAtWordStart = false;
        s.bracketClose = false;
        f.justOpened = false;
        s.lt = 0;
        boolean shellLevel = f.kind == K.TOP || f.kind == K.SUB;
        if (s.escaped) {
            s.escaped = false;
            if (c != '\n') {
                wordChar(c);
            }
            return;
        }
        if (s.dollar) {
            s.dollar = false;
            if (opensAfterDollar(c, true)) {
                return;
            }
        }
        if (justOpened && c == '(') {
            f.kind = K.ARITH;
            return;
        }
        if (parenStart && c == '(' && shellLevel) {
            f.depth--;
            push(K.ARITH);
            return;
        }
        if (bracketStart && c == '[' && shellLevel) {
            s.word.setLength(0);
            push(K.DBRACKET);
            s.wordStart = true;
            return;
        }
        if (lt == 2 && shellLevel && c != '<') {
            s.stack.push(new Frame(K.HEREDOC_WORD));
            step(c);
            return;
        }
        switch (c) {
            case '\\' -> {
                s.escaped = true;
                wordChar(c);
                return;
            }
            case '\'' -> {
                wordChar(c);
                push(K.SQ);
                return;
            }
            case '"' -> {
                wordChar(c);
                push(K.DQ);
                return;
            }
            case '`' -> {
                wordChar(c);
                push(K.BACKTICK);
                return;
            }
            case '$' -> {
                wordChar(c);
                s.dollar = true;
                return;
            }
            default -> {
            }
        }
        switch (f.kind) {
            case PARAM -> {
                if (c == '{') {
                    f.depth++;
                } else if (c == '}') {
                    if (f.depth == 0) {
                        pop();
                        return;
                    }
                    f.depth--;
                }
                wordChar(c);
                return;
            }
            case ARITH -> {
                boolean closing = f.closing;
                f.closing = false;
                if (c == '(') {
                    f.depth++;
                } else if (c == ')') {
                    if (f.depth > 0) {
                        f.depth--;
                    } else if (closing) {
                        pop();
                    } else {
                        f.closing = true;
                    }
                }
                return;
            }
            case ARITH_BRACKET, SUBSCRIPT -> {
                if (c == '[') {
                    f.depth++;
                } else if (c == ']') {
                    if (f.depth == 0) {
                        pop();
                        return;
                    }
                    f.depth--;
                }
                wordChar(c);
                return;
            }
            case DBRACKET -> {
                if (bracketClose && c == ']') {
                    pop();
                    return;
                }
                if (c == ']' && s.wordStart) {
                    s.bracketClose = true;
                }
                if (c == ' ' || c == '\t' || c == '\n') {
                    s.wordStart = true;
                } else {
                    s.wordStart = false;
                }
                return;
            }
            default -> {
            }
        }
        // TOP and SUB: commands
        switch (c) {
            case ' ', '\t' -> endWord(f);
            case '\n' -> {
                endWord(f);
                endCommand(f);
                if (!s.pending.isEmpty()) {
                    startHeredoc();
                }
            }
            case ';', '&', '|' -> {
                endWord(f);
                endCommand(f);
            }
            case '#' -> {
                if (s.wordStart) {
                    push(K.COMMENT).wholeLine = s.lineBlank;
                } else {
                    wordChar(c);
                }
            }
            case '(' -> {
                boolean atStart = s.wordStart;
                endWord(f);
                f.depth++;
                s.parenAtWordStart = atStart;
                s.commandStart = true;
            }
            case ')' -> {
                endWord(f);
                if (f.kind == K.SUB && f.depth == 0) {
                    pop();
                } else {
                    f.depth = Math.max(0, f.depth - 1);
                }
            }
            case '<' -> {
                endWord(f);
                s.lt = lt + 1;
            }
            case '>' -> endWord(f);
            case '[' -> {
                if (s.wordStart) {
                    s.bracketAtWordStart = true;
                    wordChar(c);
                } else if (s.word.toString().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    push(K.SUBSCRIPT);
                } else {
                    wordChar(c);
                }
            }
            default -> wordChar(c);
        }
    }

    private void wordChar(char c) {
        s.wordStart = false;
        s.word.append(c);
    }

    private void endWord(Frame f) {
        String w = s.word.toString();
        if (!w.isEmpty()) {
            if (s.commandStart && EVALUATING.contains(w)) {
                f.command = w;
            }
            s.commandStart = s.commandStart && COMMAND_PREFIXES.contains(w);
        }
        s.word.setLength(0);
        s.wordStart = true;
    }

    private void endCommand(Frame f) {
        f.command = null;
        s.commandStart = true;
    }

    private void heredocWord(Frame f, char c) {
        boolean first = f.first;
        f.first = false;
        if (!f.started && f.inQuote == 0 && !f.escape) {
            if (first && c == '-') {
                f.stripTabs = true;
                return;
            }
            if (c == ' ' || c == '\t') {
                return;
            }
        }
        if (f.inQuote != 0) {
            if (c == f.inQuote) {
                f.inQuote = 0;
            } else {
                f.text.append(c);
                f.dirty |= c == VALUE;
            }
            return;
        }
        if (f.escape) {
            f.escape = false;
            f.text.append(c);
            return;
        }
        switch (c) {
            case '\'', '"' -> {
                f.quoted = true;
                f.started = true;
                f.inQuote = c;
            }
            case '\\' -> {
                f.quoted = true;
                f.started = true;
                f.escape = true;
            }
            case ' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')' -> {
                s.stack.pop();
                s.pending.add(f);
                s.wordStart = true;
                step(c);
            }
            default -> {
                f.started = true;
                f.dirty |= c == VALUE;
                f.text.append(c);
            }
        }
    }

    private void startHeredoc() {
        Frame word = s.pending.remove(0);
        word.kind = K.HEREDOC;
        s.stack.push(word);
    }

    private void heredoc(Frame f, char c) {
        if (c != '\n') {
            f.lineUnknown |= c == VALUE; // a line holding a value is not the delimiter line
            f.line.append(c);
            return;
        }
        String line = f.stripTabs ? f.line.toString().replaceFirst("^\t+", "") : f.line.toString();
        boolean ends = !f.dirty && !f.lineUnknown && line.equals(f.text.toString());
        f.line.setLength(0);
        f.lineUnknown = false;
        if (ends) {
            s.stack.pop();
            s.wordStart = true;
            s.commandStart = true;
            if (!s.pending.isEmpty()) {
                startHeredoc();
            }
        }
    }
}
