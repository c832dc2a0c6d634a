package dev.cicd.runner.internal.confd;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What names mean at a point of a Go template, for the translation: the dot (confd executes templates
 * with no data, so at the top it is nil; {@code range} and {@code with} rebind it to a Pebble expression)
 * and the {@code $variables} declared so far, each block ({@code if}, {@code range}, {@code with}, and
 * each {@code else}) a scope of its own as in Go. A variable declared again in an inner scope gets a
 * Pebble name of its own, so leaving the scope brings the outer one back ({@code set} in Pebble would
 * overwrite it).
 */
final class GoScope {

    /** Names Pebble reserves or the renderer sets, never used for a Go variable as they are. */
    private static final Set<String> RESERVED = Set.of("and", "or", "not", "is", "in", "true", "false", "null", "none",
            "loop", "_self", "_context", "equals", "contains", "key", "value", "event", "watch", "revision",
            "registry");

    private static final class Frame {
        final String dot;
        final Map<String, String> vars = new HashMap<>();

        Frame(String dot) {
            this.dot = dot;
        }
    }

    private final Deque<Frame> frames = new ArrayDeque<>();
    private final Map<String, Integer> used = new HashMap<>();
    private int generated;

    private final boolean goNumbers;

    /** @param goNumbers whether JSON numbers are read as Go reads them (float64), for output printed as Go does */
    GoScope(boolean goNumbers) {
        this.goNumbers = goNumbers;
        frames.push(new Frame(null));
    }

    /** The renderer's function for confd's {@code fn}: {@code json} reads numbers as Go does in file output. */
    String function(String fn) {
        if (goNumbers && (fn.equals("json") || fn.equals("jsonArray"))) {
            return fn.equals("json") ? "goJson" : "goJsonArray";
        }
        return fn;
    }

    /** The dot as a Pebble expression; {@code null} at the top, where confd's data is nil. */
    String dot() {
        return frames.peek().dot;
    }

    /** A fresh Pebble name for a loop or {@code with} value ({@code __r1}, {@code __w2}, ...). */
    String fresh(String kind) {
        return "__" + kind + (++generated);
    }

    /** Enters a block whose dot is {@code dot} (the current one when null). */
    void push(String dot) {
        frames.push(new Frame(dot == null ? dot() : dot));
    }

    /** Leaves the block. */
    void pop() {
        if (frames.size() > 1) {
            frames.pop();
        }
    }

    /** {@code else}: a new scope with the dot of the block's outside. */
    void otherwise() {
        if (frames.size() > 1) {
            frames.pop();
            frames.push(new Frame(dot()));
        }
    }

    /** Binds {@code $name} in the current scope to a Pebble expression (a range's element or index). */
    void bind(String name, String expression) {
        frames.peek().vars.put(name, expression);
    }

    /** Declares {@code $name} ({@code :=}) in the current scope: the Pebble name to {@code set}. */
    String declare(String name) {
        String pebble = name;
        if (RESERVED.contains(name) || name.startsWith("__")) {
            pebble = "v_" + name;
        }
        if (used.containsKey(pebble) && lookup(name) != null) {
            pebble = pebble + "_" + (used.merge(pebble, 1, Integer::sum));
        } else {
            used.putIfAbsent(pebble, 1);
        }
        frames.peek().vars.put(name, pebble);
        return pebble;
    }

    /** The Pebble expression of {@code $name}, innermost first; null when it was never declared. */
    String lookup(String name) {
        for (Frame f : frames) {
            String e = f.vars.get(name);
            if (e != null) {
                return e;
            }
        }
        return null;
    }
}
