package dev.cicd.etcd.internal;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Argument checks and key arithmetic of the etcd module that need no jetcd class, so that a client on the
 * JSON gateway ({@code trigger} with the launcher's short class path, which leaves gRPC out) can use them.
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

    /**
     * Checks an etcd client's connection settings: at least one endpoint, a certificate only with its key, and
     * no http endpoint beside https ones or TLS files.
     *
     * @return whether the connection uses TLS
     * @throws IllegalArgumentException naming what is wrong
     */
    public static boolean connection(List<URI> endpoints, Path caFile, Path certFile, Path keyFile) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given (e.g. http://127.0.0.1:2379)");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(certFile == null
                    ? "etcd client key file " + keyFile + " given without a client certificate file"
                    : "etcd client certificate file " + certFile + " given without a key file");
        }
        boolean https = endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
        boolean tls = https || caFile != null || certFile != null;
        if (tls && endpoints.stream().anyMatch(u -> "http".equals(u.getScheme()))) {
            throw new IllegalArgumentException("etcd endpoints mix http and https with TLS settings: " + endpoints
                    + "; use https:// for every endpoint");
        }
        return tls;
    }

    /**
     * The smallest key greater than every key starting with {@code prefix} (etcd's prefix range end): the
     * prefix up to its last byte below 0xff, that byte incremented; {@code "\0"} (no upper bound) when every
     * byte is 0xff.
     */
    public static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = java.util.Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return new byte[] {0};
    }

    /**
     * Whether etcd refused a request for lack of permission (auth enabled, the role does not grant it), as
     * either client reports it.
     */
    public static boolean isPermissionDenied(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("PERMISSION_DENIED") || m.contains("permission denied")) {
                return true;
            }
        }
        return false;
    }
}
