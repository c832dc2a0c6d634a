package dev.cicd.core.internal.render;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * JSON text to plain Java values ({@code Map}, {@code List}, {@code String}, {@code Number},
 * {@code Boolean}, {@code null}) that Pebble can navigate with {@code a.b}.
 */
public final class PlainJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private PlainJson() {
    }

    /** Thrown for text that is not one JSON value; the message says why and where. */
    public static final class InvalidJsonException extends RuntimeException {
        InvalidJsonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static Object parse(String text) {
        if (text.isEmpty()) {
            throw new InvalidJsonException("it is empty", null);
        }
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException(e.getOriginalMessage() + where(e.getLocation()), e);
        }
    }

    public static Object parse(byte[] utf8) {
        if (utf8.length == 0) {
            throw new InvalidJsonException("it is empty", null);
        }
        try {
            return MAPPER.readValue(utf8, Object.class);
        } catch (JsonProcessingException e) {
            throw new InvalidJsonException(e.getOriginalMessage() + where(e.getLocation()), e);
        } catch (IOException e) {
            throw new InvalidJsonException(String.valueOf(e.getMessage()), e);
        }
    }

    /** A short name of the JSON type of a parsed value, for messages. */
    public static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof java.util.Map) {
            return "an object";
        }
        if (value instanceof java.util.List) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return value.getClass().getSimpleName();
    }

    private static String where(JsonLocation loc) {
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }
}
