package dev.cicd.etcd.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Argument checks of the etcd module that need no jetcd class, so that a client on the JSON gateway
 * ({@code trigger} with the launcher's short class path, which leaves gRPC out) can use them.
 */
public final class Checks {

    private static final Pattern GROUP = Pattern.compile("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");

    private Checks() {
    }

    /** {@code prefix} without trailing '/'; it must start with '/' and name a directory below the root. */
    public static String normalizePrefix(String prefix, String what) {
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank, was '" + prefix + "'");
        }
        String p = prefix.strip();
        if (!p.startsWith("/")) {
            throw new IllegalArgumentException(what + " must start with '/', was '" + prefix + "'");
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.equals("/")) {
            throw new IllegalArgumentException(what + " must name a directory below '/', was '" + prefix + "'");
        }
        return p;
    }

    /** {@code d}, when positive. */
    public static Duration positive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
        return d;
    }

    /** {@code group}, when it is a valid runner group name. */
    public static String group(String group) {
        if (group == null || !GROUP.matcher(group).matches()) {
            throw new IllegalArgumentException("group must be 1-63 characters of [a-z0-9-_.], starting and ending "
                    + "with a letter or digit, was '" + group + "'");
        }
        return group;
    }
}
