package dev.cicd.core.internal.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * confd's number functions: {@code atoi}, {@code add}, {@code sub}, {@code mul}, {@code div}, {@code mod}
 * (exact on integers, {@code double} otherwise) and {@code seq(first, last)} (inclusive).
 */
final class NumberFunctions {

    private NumberFunctions() {
    }

    static void register(FunctionTable t) {
        t.fn("atoi", List.of("s"), 1, a -> {
            String s = a.str("s");
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw a.fail("atoi: '" + ShellText.oneLine(s) + "' is not an integer");
            }
        });
        t.fn("add", List.of("a", "b"), 2, a -> Arith.ADD.apply(a, a.number("a"), a.number("b")));
        t.fn("sub", List.of("a", "b"), 2, a -> Arith.SUB.apply(a, a.number("a"), a.number("b")));
        t.fn("mul", List.of("a", "b"), 2, a -> Arith.MUL.apply(a, a.number("a"), a.number("b")));
        t.fn("div", List.of("a", "b"), 2, a -> Arith.DIV.apply(a, a.number("a"), a.number("b")));
        t.fn("mod", List.of("a", "b"), 2, a -> Arith.MOD.apply(a, a.number("a"), a.number("b")));
        t.fn("seq", List.of("first", "last"), 2, a -> {
            long first = a.integer("first");
            long last = a.integer("last");
            if (last >= first && last - first >= ConfdExtension.SEQ_MAX) {
                throw a.fail("seq: " + first + ".." + last + " has more than " + ConfdExtension.SEQ_MAX + " elements");
            }
            List<Long> out = new ArrayList<>();
            for (long i = first; i <= last; i++) {
                out.add(i);
            }
            return Collections.unmodifiableList(out);
        });
    }

    private enum Arith {
        ADD, SUB, MUL, DIV, MOD;

        Object apply(FunctionTable.Args a, Number x, Number y) {
            if (FunctionTable.integral(x) && FunctionTable.integral(y)) {
                long l = x.longValue();
                long r = y.longValue();
                try {
                    return switch (this) {
                        case ADD -> Math.addExact(l, r);
                        case SUB -> Math.subtractExact(l, r);
                        case MUL -> Math.multiplyExact(l, r);
                        case DIV -> {
                            if (r == 0) {
                                throw a.fail("div: division by zero");
                            }
                            yield l / r;
                        }
                        case MOD -> {
                            if (r == 0) {
                                throw a.fail("mod: division by zero");
                            }
                            yield l % r;
                        }
                    };
                } catch (ArithmeticException e) {
                    throw a.fail(name().toLowerCase(Locale.ROOT) + ": " + l + ", " + r + ": " + e.getMessage());
                }
            }
            double l = x.doubleValue();
            double r = y.doubleValue();
            if (r == 0 && (this == DIV || this == MOD)) {
                throw a.fail(name().toLowerCase(Locale.ROOT) + ": division by zero");
            }
            return switch (this) {
                case ADD -> l + r;
                case SUB -> l - r;
                case MUL -> l * r;
                case DIV -> l / r;
                case MOD -> l % r;
            };
        }
    }
}
