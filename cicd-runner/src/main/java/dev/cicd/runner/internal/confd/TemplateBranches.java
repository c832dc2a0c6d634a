package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The walk of a template's {@code if}/{@code else} and {@code range} blocks over the {@link ShellContext}:
 * each branch starts from the state at the block's start, and after {@code end} the script may be in the
 * state any branch left it in.
 *
 * <p>A range's body runs again from where it ended. When that is not where it began, the template is
 * translated again with the body starting from both (seeds, by the offset of the range action), up to
 * {@link GoTemplates}' passes; a body that still moves the quoting on has every value in it and after it
 * refused ({@code giveUp}).
 */
final class TemplateBranches {

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

    private final ShellContext shell;
    private final Deque<Branch> branches = new ArrayDeque<>();
    private final Map<Integer, ShellContext.Snapshot> seeds;
    private final Set<Integer> giveUp;
    private final Set<Integer> unstable = new HashSet<>();

    TemplateBranches(ShellContext shell, Map<Integer, ShellContext.Snapshot> seeds, Set<Integer> giveUp) {
        this.shell = shell;
        this.seeds = seeds;
        this.giveUp = giveUp;
    }

    /** The offsets of the ranges whose body ended in states it did not start in: another pass is due. */
    Set<Integer> unstable() {
        return unstable;
    }

    /** An {@code if} at {@code line}, action at {@code offset}. */
    void openIf(int line, int offset) {
        branches.push(new Branch("if", line, offset, shell.snapshot()));
    }

    /** A block that is not translated: its body stays in the output unconditionally. */
    void openUntranslated(int line, int offset) {
        branches.push(new Branch("untranslated", line, offset, null));
    }

    /** A {@code range} at {@code line}, action at {@code offset}. */
    void openRange(int line, int offset) {
        branches.push(new Branch("range", line, offset, rangeStart(line, offset)));
    }

    /** {@code else} or {@code else if}: the next branch starts where the block did. */
    void otherwise() {
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
    void close() {
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
    private ShellContext.Snapshot rangeStart(int line, int offset) {
        if (giveUp.contains(offset)) {
            shell.poison("in or after the {{range}} at line " + line + ", whose body leaves the script in different"
                    + " quoting states each time it runs");
        } else if (seeds.containsKey(offset)) {
            shell.join(List.of(shell.snapshot(), seeds.get(offset)));
        }
        return shell.snapshot();
    }
}
