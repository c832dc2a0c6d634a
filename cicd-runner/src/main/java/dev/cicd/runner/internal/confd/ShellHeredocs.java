package dev.cicd.runner.internal.confd;

import dev.cicd.runner.internal.confd.ShellState.Frame;
import dev.cicd.runner.internal.confd.ShellState.K;

/**
 * Heredocs, for {@link ShellLexer}: after {@code <<} the delimiter word ({@code -} strips tabs, any
 * quote or backslash makes the body literal), kept pending until the end of the command line; then the
 * body, line by line, until a line that is the delimiter. A delimiter or body line holding a printed
 * value ({@link ShellContext#VALUE}) is never taken for the end.
 */
final class ShellHeredocs {

    private ShellHeredocs() {
    }

    /**
     * One character of the delimiter word {@code f}; true when {@code c} ended the word, which is then
     * pending and {@code c} is for the lexer to read again.
     */
    static boolean word(ShellState s, Frame f, char c) {
        boolean first = f.first;
        f.first = false;
        if (!f.started && f.inQuote == 0 && !f.escape) {
            if (first && c == '-') {
                f.stripTabs = true;
                return false;
            }
            if (c == ' ' || c == '\t') {
                return false;
            }
        }
        if (f.inQuote != 0) {
            if (c == f.inQuote) {
                f.inQuote = 0;
            } else {
                f.text.append(c);
                f.dirty |= c == ShellContext.VALUE;
            }
            return false;
        }
        if (f.escape) {
            f.escape = false;
            f.text.append(c);
            return false;
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
                return true;
            }
            default -> {
                f.started = true;
                f.dirty |= c == ShellContext.VALUE;
                f.text.append(c);
            }
        }
        return false;
    }

    /** At the end of a command line with pending heredocs: the first one's body starts. */
    static void start(ShellState s) {
        Frame word = s.pending.remove(0);
        word.kind = K.HEREDOC;
        s.stack.push(word);
    }

    /** One character of the body of heredoc {@code f}. */
    static void body(ShellState s, Frame f, char c) {
        if (c != '\n') {
            f.lineUnknown |= c == ShellContext.VALUE; // a line holding a value is not the delimiter line
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
                start(s);
            }
        }
    }
}
