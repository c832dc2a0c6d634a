package dev.cicd.core.internal.render;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Values as Go's text/template and fmt see them, for templates imported from confd: how a value prints
 * ({@code %v}: {@code [a b]} for a list, {@code map[k:v]} for a map, {@code 1e+06} for a large float,
 * {@code <no value>} for nothing), its Go type name (for fmt's {@code %!d(string=x)} errors), its truth
 * (false, 0, nil, empty text, list or map are false) and the order of two values ({@code lt} ...).
 */
public final class GoValues {

    private GoValues() {
    }

    /** What text/template prints for {@code {{x}}}: fmt's {@code %v}, and {@code <no value>} for nothing. */
    public static String print(Object v) {
        return v == null ? "<no value>" : fmtV(v);
    }

    /** fmt's {@code %v}. */
    static String fmtV(Object v) {
        if (v == null) {
            return "<nil>";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Double || v instanceof Float) {
            return formatG(((Number) v).doubleValue());
        }
        if (v instanceof BigDecimal b) {
            return formatG(b.doubleValue());
        }
        if (v instanceof java.time.ZonedDateTime t) {
            return GoTime.string(t);
        }
        if (v instanceof KVPair kv) {
            return "{" + kv.getKey() + " " + kv.getValue() + "}";
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("map[");
            boolean first = true;
            for (Map.Entry<?, ?> e : sorted(m).entrySet()) {
                b.append(first ? "" : " ").append(fmtV(e.getKey())).append(':').append(fmtV(e.getValue()));
                first = false;
            }
            return b.append(']').toString();
        }
        if (v instanceof Collection<?> c) {
            StringBuilder b = new StringBuilder("[");
            boolean first = true;
            for (Object o : c) {
                b.append(first ? "" : " ").append(fmtV(o));
                first = false;
            }
            return b.append(']').toString();
        }
        return v.toString();
    }

    /** A map with its keys in Go's order (text sorted, numbers by value). */
    static Map<Object, Object> sorted(Map<?, ?> m) {
        TreeMap<Object, Object> t = new TreeMap<>(GoValues::compare);
        t.putAll(m);
        return t;
    }

    /** Go's type name of a value as confd's functions produce it (JSON numbers are float64). */
    static String typeName(Object v) {
        if (v == null) {
            return "<nil>";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (integral(v)) {
            return "int";
        }
        if (v instanceof Number) {
            return "float64";
        }
        if (v instanceof KVPair) {
            return "memkv.KVPair";
        }
        if (v instanceof Map<?, ?>) {
            return "map[string]interface {}";
        }
        if (v instanceof Collection<?>) {
            return "[]interface {}";
        }
        return v.getClass().getSimpleName();
    }

    static boolean integral(Object v) {
        return v instanceof Number n && FunctionTable.integral(n);
    }

    /** Go's truth: false, 0, nil, and empty text, lists and maps are false; everything else is true. */
    public static boolean truth(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Number n) {
            return integral(n) ? n.longValue() != 0 : n.doubleValue() != 0;
        }
        if (v instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** The order of two values: numbers by value, text by its bytes (UTF-16 order is the same for the BMP). */
    static int compare(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            if (integral(x) && integral(y)) {
                return Long.compare(x.longValue(), y.longValue());
            }
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        throw new IllegalArgumentException("incompatible types for comparison: " + typeName(a) + " and " + typeName(b));
    }

    /** Go's {@code eq}: basic values of the same kind compared by value, numbers by number. */
    static boolean equal(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return compare(x, y) == 0;
        }
        if (a == null || b == null) {
            return a == b;
        }
        return a.equals(b);
    }

    /** {@code strconv.FormatFloat(f, 'g', -1, 64)}: shortest digits, exponent form below 1e-4 and from 1e6 (1e+06). */
    static String formatG(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0" : "0";
        }
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - b.scale();
        String sign = b.signum() < 0 ? "-" : "";
        if (exp < -4 || exp >= 6) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        return sign + b.abs().toPlainString();
    }

    /** The value as a {@code long}, when it is a whole number. */
    static Long asLong(Object v) {
        if (v instanceof BigInteger bi && bi.bitLength() < 64) {
            return bi.longValue();
        }
        if (integral(v)) {
            return ((Number) v).longValue();
        }
        return null;
    }

    /** The elements a {@code range} visits: a list's, or a map's values by sorted key ({@link RangeItem}). */
    static List<RangeItem> range(Object v) {
        List<RangeItem> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : sorted(m).entrySet()) {
                out.add(new RangeItem(e.getKey(), e.getValue()));
            }
            return out;
        }
        if (v instanceof Iterable<?> it) {
            long i = 0;
            for (Object o : it) {
                out.add(new RangeItem(i++, o));
            }
            return out;
        }
        if (v instanceof Object[] arr) {
            for (int i = 0; i < arr.length; i++) {
                out.add(new RangeItem((long) i, arr[i]));
            }
            return out;
        }
        if (integral(v)) {
            long n = ((Number) v).longValue();
            if (n > ConfdExtension.SEQ_MAX) {
                throw new IllegalArgumentException("range over " + n + ": more than " + ConfdExtension.SEQ_MAX);
            }
            for (long i = 0; i < n; i++) {
                out.add(new RangeItem(i, i));
            }
            return out;
        }
        throw new IllegalArgumentException("range can't iterate over " + fmtV(v));
    }

    /** One step of a {@code range}: the index (or map key) {@code k} and the element {@code v}. */
    public static final class RangeItem {
        private final Object k;
        private final Object v;

        RangeItem(Object k, Object v) {
            this.k = k;
            this.v = v;
        }

        public Object getK() {
            return k;
        }

        public Object getV() {
            return v;
        }
    }
}
