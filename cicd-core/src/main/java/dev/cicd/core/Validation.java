package dev.cicd.core;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks for payload fields before they reach an API call or a command. Each method returns the value
 * when it is valid and otherwise throws {@link CicdException} with code
 * {@link CicdException.Code#INVALID_FIELD} and a message naming the field and the value, e.g.
 * {@code k8sNamespace: 'Bad_NS' is not a DNS-1123 label (...)}.
 */
public final class Validation {

    private static final int LABEL_MAX = 63;
    private static final int SUBDOMAIN_MAX = 253;
    private static final int IMAGE_NAME_MAX = 255;
    private static final int IMAGE_REFERENCE_MAX = 255 + 1 + 128 + 1 + 7 + 128;
    private static final int SHOWN_MAX = 120;

    private static final String LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS1123_LABEL = Pattern.compile(LABEL);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(LABEL + "(?:\\." + LABEL + ")*");

    // The distribution reference grammar (registry/path:tag@digest), ASCII only.
    private static final String ALNUM = "[a-z0-9]+";
    private static final String SEPARATOR = "(?:[._]|__|-+)";
    private static final String PATH_COMPONENT = ALNUM + "(?:" + SEPARATOR + ALNUM + ")*";
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String IPV6 = "\\[[a-fA-F0-9:]+\\]";
    private static final String HOST = "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|" + IPV6 + ")";
    private static final String DOMAIN = HOST + "(?::[0-9]+)?";
    private static final String TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private static final String DIGEST = "(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})";
    private static final Pattern IMAGE_REFERENCE = Pattern.compile(
            "(?<name>(?:" + DOMAIN + "/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*)"
                    + "(?::(?<tag>" + TAG + "))?"
                    + "(?:@(?<digest>" + DIGEST + "))?");
    private static final Pattern IMAGE_TAG = Pattern.compile(TAG);

    private Validation() {
    }

    /** A DNS-1123 label (Kubernetes namespace, most object names): {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}, at most 63. */
    public static String dns1123Label(String field, String value) {
        if (value == null || value.length() > LABEL_MAX || !DNS1123_LABEL.matcher(value).matches()) {
            throw invalid(field, value, "is not a DNS-1123 label (lower-case letters, digits and '-', at most "
                    + LABEL_MAX + " characters, starting and ending with a letter or digit)");
        }
        return value;
    }

    /** A DNS-1123 subdomain (Deployment and other object names): dot-separated labels, at most 253 characters. */
    public static String dns1123Subdomain(String field, String value) {
        if (value == null || value.length() > SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.matcher(value).matches()) {
            throw invalid(field, value, "is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most "
                    + SUBDOMAIN_MAX + " characters, each dot-separated part starting and ending with a letter or digit)");
        }
        return value;
    }

    /**
     * A container image reference as the distribution reference grammar defines it:
     * {@code [host[:port]/]path[:tag][@sha256:<64 hex>]}. The host may have upper-case letters, the path
     * components are lower-case letters and digits joined by {@code .}, {@code _}, {@code __} or dashes;
     * the tag is {@code [\w][\w.-]{0,127}}; a digest is {@code sha256:} with 64 (or {@code sha512:} with 128)
     * lower-case hex digits. Whitespace and shell metacharacters never match.
     */
    public static String imageReference(String field, String value) {
        // bounded before the regular expression runs: a reference is at most name + tag + digest long
        var m = value == null || value.length() > IMAGE_REFERENCE_MAX ? null : IMAGE_REFERENCE.matcher(value);
        if (m == null || !m.matches()) {
            throw invalid(field, value, "is not a container image reference ([host[:port]/]path[:tag][@sha256:<64 hex>];"
                    + " path components of lower-case letters and digits separated by '.', '_', '__' or '-', tag of"
                    + " letters, digits, '_', '.', '-' not starting with '.' or '-', at most 128 characters)");
        }
        if (m.group("name").length() > IMAGE_NAME_MAX) {
            throw invalid(field, value, "is not a container image reference (the name before the tag is longer than "
                    + IMAGE_NAME_MAX + " characters)");
        }
        return value;
    }

    /** An image tag: {@code [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}}. */
    public static String imageTag(String field, String value) {
        if (value == null || !IMAGE_TAG.matcher(value).matches()) {
            throw invalid(field, value, "is not an image tag (letters, digits, '_', '.' and '-', not starting with '.'"
                    + " or '-', at most 128 characters)");
        }
        return value;
    }

    /** One of the allowed values (exact, case-sensitive match). */
    public static String oneOf(String field, String value, Set<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw invalid(field, value, "is not one of the allowed values " + new TreeSet<>(allowed));
        }
        return value;
    }

    /** Present and not blank. */
    public static String requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw invalid(field, value, "must not be blank");
        }
        return value;
    }

    private static CicdException invalid(String field, String value, String why) {
        return new CicdException(CicdException.Code.INVALID_FIELD, field + ": " + show(value) + " " + why);
    }

    /** The value quoted for a message: on one line, control characters escaped, long values cut. */
    private static String show(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), SHOWN_MAX) + 8).append('\'');
        for (int i = 0; i < value.length(); i++) {
            if (i == SHOWN_MAX) {
                out.append("...(").append(value.length()).append(" characters)");
                break;
            }
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('\'').toString();
    }
}
