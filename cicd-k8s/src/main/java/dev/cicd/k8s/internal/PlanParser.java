package dev.cicd.k8s.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cicd.core.CicdException;
import dev.cicd.core.Durations;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.OnFailure;
import dev.cicd.k8s.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** YAML plan text -> {@link KubernetesPlan}. Strict: unknown keys, duplicate keys and non-string names fail. */
public final class PlanParser {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder().build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static final Map<String, Set<String>> FIELDS = Map.of(
            "setImage", Set.of("namespace", "deployment", "container", "image", "changeCause"),
            "rolloutHistory", Set.of("namespace", "deployment"),
            "rolloutUndo", Set.of("namespace", "deployment", "toRevision"),
            "waitForRollout", Set.of("namespace", "deployment", "timeout"),
            "apply", Set.of("path", "manifest", "namespace", "wait"));

    private PlanParser() {
    }

    public static KubernetesPlan parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text == null ? "" : text);
        } catch (JsonProcessingException e) {
            throw bad("plan is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw bad("plan is empty; expected 'steps:' with a list of steps");
        }
        JsonNode steps;
        Optional<OnFailure> onFailure = Optional.empty();
        if (root.isArray()) {
            steps = root;
        } else if (root.isObject()) {
            for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals("steps") && !k.equals("onFailure")) {
                    throw bad("unknown plan key '" + k + "'; a plan has 'steps' and optionally 'onFailure'");
                }
            }
            steps = root.get("steps");
            if (steps == null || !steps.isArray()) {
                throw bad("plan needs 'steps:' with a list of steps");
            }
            JsonNode of = root.get("onFailure");
            if (of != null && !of.isNull()) {
                if (!of.isTextual()) {
                    throw invalid("onFailure must be 'none' or 'undo', was '" + of + "'");
                }
                try {
                    onFailure = Optional.of(OnFailure.parse(of.asText()));
                } catch (IllegalArgumentException e) {
                    throw invalid(e.getMessage());
                }
            }
        } else {
            throw bad("plan must be a map with 'steps:' or a list of steps, was a scalar");
        }
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            out.add(step(i + 1, steps.get(i)));
        }
        return new KubernetesPlan(out, onFailure);
    }

    private static Step step(int n, JsonNode node) {
        if (node == null || !node.isObject() || node.size() != 1) {
            throw bad("step " + n + " must be a map with exactly one key (the step type), was " + shape(node));
        }
        String type = node.fieldNames().next();
        Set<String> allowed = FIELDS.get(type);
        if (allowed == null) {
            throw bad("step " + n + " has unknown type '" + type + "'; known: apply, rolloutHistory, rolloutUndo, "
                    + "setImage, waitForRollout");
        }
        JsonNode args = node.get(type);
        if (args == null || !args.isObject()) {
            throw bad("step " + n + " (" + type + ") must be a map of fields, was " + shape(args));
        }
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw bad("step " + n + " (" + type + ") has unknown field '" + k + "'; allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
        String p = type + ".";
        try {
            return switch (type) {
                case "setImage" -> new Step.SetImage(req(args, p, "namespace"), req(args, p, "deployment"),
                        req(args, p, "container"), req(args, p, "image"), opt(args, p, "changeCause"));
                case "rolloutHistory" -> new Step.RolloutHistory(req(args, p, "namespace"), req(args, p, "deployment"));
                case "rolloutUndo" -> new Step.RolloutUndo(req(args, p, "namespace"), req(args, p, "deployment"),
                        revision(args, p + "toRevision"));
                case "waitForRollout" -> new Step.WaitForRollout(req(args, p, "namespace"),
                        req(args, p, "deployment"), duration(args, p + "timeout"));
                default -> new Step.Apply(opt(args, p, "path"), opt(args, p, "manifest"), opt(args, p, "namespace"),
                        bool(args, p + "wait"));
            };
        } catch (CicdException e) {
            throw new CicdException(e.code(), "step " + n + " (" + type + "): " + e.getMessage(), e);
        }
    }

    private static String req(JsonNode args, String prefix, String field) {
        return opt(args, prefix, field).orElseThrow(() -> invalid(prefix + field + " is required"));
    }

    private static Optional<String> opt(JsonNode args, String prefix, String field) {
        JsonNode v = args.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw invalid(prefix + field + " must be a string (quote it), was '" + v + "'");
        }
        return Optional.of(v.asText());
    }

    private static OptionalLong revision(JsonNode args, String field) {
        JsonNode v = args.get("toRevision");
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return OptionalLong.of(v.asLong());
        }
        if (v.isTextual() && v.asText().matches("[0-9]{1,18}")) {
            return OptionalLong.of(Long.parseLong(v.asText()));
        }
        throw invalid(field + " must be a positive revision number, was '" + v.asText() + "'");
    }

    private static boolean bool(JsonNode args, String field) {
        JsonNode v = args.get("wait");
        if (v == null || v.isNull()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
            return Boolean.parseBoolean(v.asText());
        }
        throw invalid(field + " must be true or false, was '" + v.asText() + "'");
    }

    private static Optional<Duration> duration(JsonNode args, String field) {
        JsonNode v = args.get("timeout");
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Optional.of(Duration.ofSeconds(v.asLong()));
        }
        try {
            // the config file's grammar and message: "waitForRollout.timeout: 'soon' is not a duration (use ...)"
            return Optional.of(Durations.parse(v.isTextual() ? v.asText() : v.toString()));
        } catch (IllegalArgumentException e) {
            throw invalid(field + ": " + e.getMessage());
        }
    }

    private static String shape(JsonNode n) {
        if (n == null || n.isNull()) {
            return "empty";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isObject()) {
            return "a map with keys " + iterableToString(n.fieldNames());
        }
        return "'" + n.asText() + "'";
    }

    private static String iterableToString(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l.toString();
    }

    private static CicdException bad(String msg) {
        return new CicdException(CicdException.Code.BAD_PAYLOAD, msg);
    }

    private static CicdException invalid(String msg) {
        return new CicdException(CicdException.Code.INVALID_FIELD, msg);
    }
}
