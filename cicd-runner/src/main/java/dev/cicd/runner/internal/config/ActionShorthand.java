package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.runner.ConfigException;
import java.util.Locale;

/** {@code action: kubernetes} / {@code action: shell}, the short forms of {@code action: {shell: {}}}. */
final class ActionShorthand {

    private ActionShorthand() {
    }

    /** Replaces {@code action: kubernetes} and {@code action: shell} by their map form. */
    static void normalise(ObjectNode root, LoadContext ctx) {
        JsonNode watches = root.get("watches");
        if (watches == null || !watches.isArray()) {
            return;
        }
        for (int i = 0; i < watches.size(); i++) {
            JsonNode w = watches.get(i);
            if (!w.isObject() || !w.has("action")) {
                continue;
            }
            JsonNode a = w.get("action");
            if (a.isTextual()) {
                ((ObjectNode) w).set("action", actionNode(a.asText(), "/watches/" + i + "/action", ctx, null));
            }
        }
    }

    /** The map form of {@code kubernetes} or {@code shell}; anything else is an error at {@code pointer}. */
    static ObjectNode actionNode(String kind, String pointer, LoadContext ctx, String env) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        switch (kind.trim().toLowerCase(Locale.ROOT)) {
            case "kubernetes" -> n.set("kubernetes", JsonNodeFactory.instance.objectNode());
            case "shell" -> n.set("shell", JsonNodeFactory.instance.objectNode());
            default -> throw new ConfigException(ctx.where(pointer, env) + ConfigErrors.displayPath(pointer)
                    + ": must be kubernetes or shell, was '" + kind + "'" + ("file".equalsIgnoreCase(kind.trim())
                    ? " (a file action needs its settings: action: {file: {dest: /path/of/the/file}})" : ""));
        }
        return n;
    }
}
