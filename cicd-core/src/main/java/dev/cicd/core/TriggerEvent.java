package dev.cicd.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One change of a watched key, as the trigger store reported it.
 *
 * @param watch          name of the {@link WatchSpec} that matched the key
 * @param key            full key, e.g. {@code /cicd/rollout/trigger}
 * @param value          the raw value (empty for a DELETE); use {@link #text()} for the UTF-8 view
 * @param type           PUT or DELETE
 * @param modRevision    the store revision of this change (strictly increasing per watch)
 * @param createRevision the revision at which the key was created
 * @param version        the key's version (number of puts since creation)
 */
public record TriggerEvent(
        String watch,
        String key,
        byte[] value,
        EventType type,
        long modRevision,
        long createRevision,
        long version) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public TriggerEvent {
        requireText(watch, "watch");
        requireText(key, "key");
        Objects.requireNonNull(type, "type");
        value = value == null ? new byte[0] : value.clone();
        if (modRevision <= 0) {
            throw new IllegalArgumentException("modRevision must be > 0, was " + modRevision + " (key " + key + ")");
        }
        if (createRevision < 0 || version < 0) {
            throw new IllegalArgumentException(
                    "createRevision and version must be >= 0 (key " + key + ", revision " + modRevision + ")");
        }
    }

    /** A PUT of a UTF-8 text value; handy for tests and in-memory sources. */
    public static TriggerEvent put(String watch, String key, String text, long revision) {
        return new TriggerEvent(watch, key, text.getBytes(StandardCharsets.UTF_8), EventType.PUT, revision, revision, 1);
    }

    /** A copy of the raw value. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value's length in bytes. */
    public int size() {
        return value.length;
    }

    /** The value decoded as UTF-8. */
    public String text() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /**
     * The value parsed as JSON.
     *
     * @throws CicdException with code {@link CicdException.Code#BAD_PAYLOAD} naming the key and revision
     */
    public JsonNode json() {
        if (value.length == 0) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD,
                    "value of " + key + " at revision " + modRevision + " is empty, expected JSON");
        }
        try {
            return JSON.readTree(value);
        } catch (JsonProcessingException e) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD,
                    "value of " + key + " at revision " + modRevision + " is not valid JSON: "
                            + e.getOriginalMessage() + where(e), e);
        } catch (java.io.IOException e) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD,
                    "value of " + key + " at revision " + modRevision + " could not be read: " + e.getMessage(), e);
        }
    }

    /**
     * The payload's top-level {@code requestId} field when the value is a JSON object holding a non-blank
     * string there; empty otherwise (not JSON, no such field). Never throws.
     */
    public Optional<String> requestId() {
        if (value.length == 0 || !text().contains("\"requestId\"")) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(value);
            JsonNode id = node == null ? null : node.get("requestId");
            if (node != null && node.isObject() && id != null && id.isTextual() && !id.asText().isBlank()) {
                return Optional.of(id.asText());
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not JSON: no request id
        }
        return Optional.empty();
    }

    private static String where(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TriggerEvent other
                && watch.equals(other.watch)
                && key.equals(other.key)
                && Arrays.equals(value, other.value)
                && type == other.type
                && modRevision == other.modRevision
                && createRevision == other.createRevision
                && version == other.version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(watch, key, Arrays.hashCode(value), type, modRevision, createRevision, version);
    }

    @Override
    public String toString() {
        return "TriggerEvent[watch=" + watch + ", key=" + key + ", type=" + type + ", revision=" + modRevision
                + ", bytes=" + value.length + "]";
    }

    private static void requireText(String s, String field) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank, was '" + s + "'");
        }
    }
}
