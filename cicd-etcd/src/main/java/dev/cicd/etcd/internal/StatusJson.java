package dev.cicd.etcd.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.Outcome;
import dev.cicd.core.SourceNotice;
import dev.cicd.etcd.ProgressRecord;
import dev.cicd.etcd.StatusRecord;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/** JSON for status records and notices. */
public final class StatusJson {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StatusJson() {
    }

    public static String write(StatusRecord r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("watch", r.watch());
        o.put("key", r.key());
        o.put("revision", r.revision());
        putOpt(o, "requestId", r.requestId());
        o.put("outcome", r.outcome().label());
        o.put("reason", r.reason());
        putOpt(o, "fingerprint", r.fingerprint());
        if (r.exitCode().isPresent()) {
            o.put("exitCode", r.exitCode().getAsInt());
        } else {
            o.putNull("exitCode");
        }
        o.put("started", r.started().toString());
        o.put("finished", r.finished().toString());
        o.put("runnerId", r.runnerId());
        putOpt(o, "runLog", r.runLog());
        return o.toString();
    }

    public static StatusRecord read(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a status record (invalid JSON): " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a status record (not a JSON object): " + abbreviate(json));
        }
        try {
            return new StatusRecord(
                    required(n, "watch"),
                    required(n, "key"),
                    requiredLong(n, "revision"),
                    optional(n, "requestId"),
                    Outcome.Kind.parse(required(n, "outcome")),
                    optional(n, "reason").orElse(""),
                    optional(n, "fingerprint"),
                    n.hasNonNull("exitCode") ? OptionalInt.of(n.get("exitCode").asInt()) : OptionalInt.empty(),
                    Instant.parse(required(n, "started")),
                    Instant.parse(required(n, "finished")),
                    optional(n, "runnerId").orElse(""),
                    optional(n, "runLog"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a status record (bad time): " + e.getMessage(), e);
        }
    }

    public static String write(ProgressRecord r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("watch", r.watch());
        o.put("key", r.key());
        o.put("revision", r.revision());
        putOpt(o, "requestId", r.requestId());
        o.put("outcome", ProgressRecord.OUTCOME);
        o.put("step", r.step());
        o.put("detail", r.detail());
        o.put("started", r.started().toString());
        o.put("updated", r.updated().toString());
        o.put("runnerId", r.runnerId());
        return o.toString();
    }

    public static ProgressRecord readProgress(String json) {
        JsonNode n = object(json);
        if (!ProgressRecord.OUTCOME.equals(n.path("outcome").asText())) {
            throw new IllegalArgumentException("not an in-progress record (outcome is '" + n.path("outcome").asText()
                    + "')");
        }
        try {
            return new ProgressRecord(required(n, "watch"), required(n, "key"), requiredLong(n, "revision"),
                    optional(n, "requestId"), optional(n, "step").orElse(""), optional(n, "detail").orElse(""),
                    Instant.parse(required(n, "started")), Instant.parse(required(n, "updated")),
                    optional(n, "runnerId").orElse(""));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not an in-progress record (bad time): " + e.getMessage(), e);
        }
    }

    /** Whether {@code json} is a JSON object whose {@code outcome} is {@code in-progress}. */
    public static boolean isProgress(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            return n != null && n.isObject() && ProgressRecord.OUTCOME.equals(n.path("outcome").asText());
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private static JsonNode object(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a status record (invalid JSON): " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a status record (not a JSON object): " + abbreviate(json));
        }
        return n;
    }

    /** A notice as stored at {@code <statusPrefix>/<watch>/notice}. */
    public static String write(SourceNotice n, String runnerId, Instant time) {
        ObjectNode o = JSON.createObjectNode();
        o.put("watch", n.watch());
        o.put("notice", n.kind().name().toLowerCase(Locale.ROOT));
        o.put("revision", n.revision());
        o.put("lostRevisions", n.lostRevisions());
        o.put("message", n.message());
        o.put("time", time.toString());
        o.put("runnerId", runnerId);
        return o.toString();
    }

    /** Validates that {@code text} is one JSON value with nothing after it. */
    public static void validate(String text) throws JsonProcessingException {
        JSON.readTree(text);
    }

    /** The payload's string field {@code requestId}, if it is a JSON object carrying one. */
    public static Optional<String> requestId(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n != null && n.hasNonNull("requestId")) {
                return Optional.of(n.get("requestId").asText());
            }
        } catch (JsonProcessingException e) {
            // not JSON: no request id
        }
        return Optional.empty();
    }

    private static void putOpt(ObjectNode o, String field, Optional<String> v) {
        if (v.isPresent()) {
            o.put(field, v.get());
        } else {
            o.putNull(field);
        }
    }

    private static String required(JsonNode n, String field) {
        if (!n.hasNonNull(field)) {
            throw new IllegalArgumentException("not a status record: field '" + field + "' is missing");
        }
        return n.get(field).asText();
    }

    private static long requiredLong(JsonNode n, String field) {
        if (!n.hasNonNull(field) || !n.get(field).canConvertToLong()) {
            throw new IllegalArgumentException("not a status record: field '" + field + "' is missing or not a number");
        }
        return n.get(field).asLong();
    }

    private static Optional<String> optional(JsonNode n, String field) {
        return n.hasNonNull(field) ? Optional.of(n.get(field).asText()) : Optional.empty();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
