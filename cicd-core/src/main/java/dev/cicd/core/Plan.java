package dev.cicd.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A rendered plan: what the action will carry out for one event.
 *
 * @param event       the event it was rendered from
 * @param text        the rendered template
 * @param fingerprint SHA-256 of {@code text}, lower-case hex
 * @param targets     what the plan changes, as the renderer knows it: the watch's rendered
 *                    {@code target} expression, or the event's key (never empty; an {@link Action} that
 *                    can read its targets from the plan overrides them, see {@link Action#targets})
 */
public record Plan(TriggerEvent event, String text, String fingerprint, List<String> targets) {

    public Plan {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (fingerprint.length() != 64) {
            throw new IllegalArgumentException("fingerprint must be 64 hex characters, was '" + fingerprint + "'");
        }
        targets = targets == null || targets.isEmpty() ? List.of(event.key()) : List.copyOf(targets);
        for (String t : targets) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("a plan's target must not be blank (key " + event.key() + ")");
            }
        }
    }

    /** A plan whose target is the event's key. */
    public Plan(TriggerEvent event, String text, String fingerprint) {
        this(event, text, fingerprint, List.of());
    }

    /** A plan for the text, with its fingerprint computed; its target is the event's key. */
    public static Plan of(TriggerEvent event, String text) {
        return new Plan(event, text, sha256(text));
    }

    /** A plan for the text, with its fingerprint computed, changing {@code target}. */
    public static Plan of(TriggerEvent event, String text, String target) {
        return new Plan(event, text, sha256(text), List.of(target));
    }

    /** SHA-256 of the UTF-8 bytes of {@code text}, lower-case hex. */
    public static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    public String watch() {
        return event.watch();
    }
}
