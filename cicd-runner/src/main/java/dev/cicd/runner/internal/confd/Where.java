package dev.cicd.runner.internal.confd;

import dev.cicd.runner.internal.confd.ShellState.Frame;
import dev.cicd.runner.internal.confd.ShellState.K;

/**
 * Where a printed value lands in one {@link ShellState}: a plain word of a command, where the {@code sh}
 * filter's single quotes make it one literal word; a comment line of its own, where the {@code oneline}
 * filter keeps it in the comment; or somewhere neither protects ({@link Kind#REFUSED}), with the reason.
 */
record Where(Kind kind, String reason) {
    enum Kind { WORD, COMMENT_LINE, REFUSED }

    static final Where WORD = new Where(Kind.WORD, null);
    static final Where COMMENT_LINE = new Where(Kind.COMMENT_LINE, null);

    static Where refused(String reason) {
        return new Where(Kind.REFUSED, reason);
    }

    /** Where a value printed in state {@code s} lands. */
    static Where of(ShellState s) {
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
            String reason = reasonIn(f);
            if (reason != null) {
                return Where.refused(reason);
            }
        }
        return top.kind == K.COMMENT ? Where.COMMENT_LINE : Where.WORD;
    }

    private static String reasonIn(Frame f) {
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
}
