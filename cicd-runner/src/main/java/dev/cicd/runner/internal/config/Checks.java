package dev.cicd.runner.internal.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Value checks shared by the config records; each failure is a {@link KeyProblem} naming the key. */
public final class Checks {

    /** A DNS-1123 label: namespaces, the runner group. */
    public static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private Checks() {
    }

    /** The duration is above zero. */
    public static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new KeyProblem(key, "must be positive, was " + d);
        }
    }

    /** An http(s) URL with a host (and, for {@code endpoints}, a port). */
    public static void url(String key, String url) {
        try {
            URI u = new URI(url);
            if (!Set.of("http", "https").contains(String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT))
                    || u.getHost() == null || key.equals("endpoints") && u.getPort() == -1) {
                throw new KeyProblem(key, "'" + url + "' must be an http:// or https:// URL with host"
                        + (key.equals("endpoints") ? " and port, e.g. http://127.0.0.1:2379" : ""));
            }
        } catch (URISyntaxException e) {
            throw new KeyProblem(key, "'" + url + "' is not a URL: " + e.getReason());
        }
    }
}
