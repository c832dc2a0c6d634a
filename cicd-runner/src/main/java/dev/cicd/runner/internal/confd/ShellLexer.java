package dev.cicd.runner.internal.confd;

import dev.cicd.runner.internal.confd.ShellState.Frame;
import dev.cicd.runner.internal.confd.ShellState.K;
import java.util.Set;

/**
 * The state machine of bash's quoting: moves one {@link ShellState} over the script's text, character by
 * character, through single, double and {@code $'...'} quotes, {@code $(...)}, backticks, {@code ${...}},
 * arithmetic ({@code $((...))}, {@code ((...))}, {@code $[...]}), {@code [[ ... ]]}, array subscripts,
 * {@code #} comments and the commands between them (noting {@code let} and {@code eval}). Heredocs are
 * {@link ShellHeredocs}'.
 */
final class ShellLexer {

    private static final Set<String> COMMAND_PREFIXES = Set.of("then", "do", "else", "elif", "if", "while", "until",
            "!", "{", "time");

    private final ShellState s;

    private ShellLexer(ShellState s) {
        this.s = s;
    }

    /** Moves {@code s} over {@code text}. */
    static void feed(ShellState s, CharSequence text) {
        ShellLexer lexer = new ShellLexer(s);
        for (int i = 0; i < text.length(); i++) {
            lexer.step(text.charAt(i));
        }
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
            case HEREDOC_WORD -> {
                if (ShellHeredocs.word(s, f, c)) {
                    step(c);
                }
            }
            case HEREDOC -> ShellHeredocs.body(s, f, c);
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
                nested(f, c, '{', '}');
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
                nested(f, c, '[', ']');
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
                    ShellHeredocs.start(s);
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

    /** Inside {@code ${...}} or {@code [...]}: nested pairs count, the unmatched closing one ends the frame. */
    private void nested(Frame f, char c, char open, char close) {
        if (c == open) {
            f.depth++;
        } else if (c == close) {
            if (f.depth == 0) {
                pop();
                return;
            }
            f.depth--;
        }
        wordChar(c);
    }

    private void wordChar(char c) {
        s.wordStart = false;
        s.word.append(c);
    }

    private void endWord(Frame f) {
        String w = s.word.toString();
        if (!w.isEmpty()) {
            if (s.commandStart && ShellState.EVALUATING.contains(w)) {
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
}
