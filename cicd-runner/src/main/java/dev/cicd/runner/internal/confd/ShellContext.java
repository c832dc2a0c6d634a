package dev.cicd.runner.internal.confd;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where in a bash script a template action lands. Fed the literal text of a template (and
 * {@link #VALUE} for each printed value), it follows bash's quoting ({@link ShellLexer}, with
 * {@link ShellHeredocs}): single, double and {@code $'...'} quotes, {@code $(...)}, backticks,
 * {@code ${...}}, arithmetic ({@code $((...))}, {@code ((...))}, {@code $[...]}), {@code [[ ... ]]}, array
 * subscripts, {@code #} comments and heredocs.
 *
 * <p>{@link #where()} tells whether a value printed at the current point is a plain word, where the
 * {@code sh} filter's single quotes make it one literal word, on a comment line of its own, where the
 * {@code oneline} filter keeps it in the comment, or somewhere neither protects, with the reason
 * ({@link Where}). A template's {@code if}/{@code else} and {@code range} make several scripts of one
 * template, so this class keeps one {@link ShellState} per way through them ({@link #snapshot()},
 * {@link #restore}, {@link #join}, at most {@value #MAX_STATES}) and places a value only where it lands
 * the same way in all.
 *
 * <p>It is a model of bash's lexer, not bash. Not modelled: {@code case} patterns inside {@code $(...)}
 * (their {@code )} ends the substitution early here), {@code declare -i} variables (an assignment to one
 * evaluates arithmetic) and commands that run an argument as code ({@code sh -c}, {@code ssh}); a value
 * passed to those is the template's design, not a quoting question.
 */
final class ShellContext {

    /** Stands for a printed value in the text fed: one quoted word, or text on a comment line. */
    static final char VALUE = '\uE000';

    /** The states of the script at the current point, one per way the branches before it can have gone. */
    static final class Snapshot {
        private final List<ShellState> states;

        private Snapshot(List<ShellState> states) {
            this.states = states.stream().map(ShellState::copy).toList();
        }
    }

    /** More than this many ways through the branches so far, and every later value is refused. */
    static final int MAX_STATES = 64;

    private List<ShellState> states = new ArrayList<>();

    ShellContext() {
        ShellState start = new ShellState();
        start.stack.push(new ShellState.Frame(ShellState.K.TOP));
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
        List<ShellState> all = new ArrayList<>();
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
        ShellState p = states.get(0).copy();
        p.poisoned = reason;
        states = new ArrayList<>(List.of(p));
    }

    /** Whether every state of {@code b} is one of {@code a}'s. */
    static boolean covers(Snapshot a, Snapshot b) {
        Set<String> have = new HashSet<>();
        a.states.forEach(st -> have.add(st.signature()));
        return b.states.stream().allMatch(st -> have.contains(st.signature()));
    }

    private void dedupe() {
        Map<String, ShellState> bySignature = new LinkedHashMap<>();
        for (ShellState st : states) {
            bySignature.putIfAbsent(st.signature(), st);
        }
        states = new ArrayList<>(bySignature.values());
        if (states.size() > MAX_STATES) {
            ShellState poisoned = states.get(0);
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
        for (ShellState st : states) {
            Where w = Where.of(st);
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

    void feed(CharSequence text) {
        if (text.length() == 0) {
            return;
        }
        for (ShellState st : states) {
            ShellLexer.feed(st, text);
        }
        dedupe();
    }
}
