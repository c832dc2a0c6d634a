package dev.cicd.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A rendered plan: what the action will carry out for one event.
 *
 * @param event       the event it was rendered from
 * @param text        the rendered template
 * @param fingerprint SHA-256 of {@code text}, lower-case hex
 */
public record Plan(TriggerEvent event, String text, String fingerprint) {

    public Plan {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (fingerprint.length() != 64) {
            throw new IllegalArgumentException("fingerprint must be 64 hex characters, was '" + fingerprint + "'");
        }
    }

    /** A plan for the text, with its fingerprint computed. */
    public static Plan of(TriggerEvent event, String text) {
        return new Plan(event, text, sha256(text));
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
