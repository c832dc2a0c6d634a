package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Pod template helpers of the simulated deployment controller: comparison ignoring the
 * {@code pod-template-hash} label and empty fields, and the hash that names ReplicaSets.
 */
final class PodTemplates {

    static final String HASH_LABEL = "pod-template-hash";

    /** Characters of the hash; like the real controller's, no vowels, so no words. */
    private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

    private PodTemplates() {
    }

    /**
     * The template as a plain tree without the {@code pod-template-hash} label, {@code null}s and
     * empty maps or lists, so that equal templates compare equal however they were serialised.
     */
    static Object normalized(PodTemplateSpec template, KubernetesSerialization serialization) {
        if (template == null) {
            return Map.of();
        }
        Object tree = serialization.convertValue(template, Object.class);
        if (tree instanceof Map<?, ?> root && root.get("metadata") instanceof Map<?, ?> metadata
                && metadata.get("labels") instanceof Map<?, ?> labels) {
            labels.remove(HASH_LABEL);
        }
        Object pruned = prune(tree);
        return pruned == null ? Map.of() : pruned;
    }

    /** Whether two templates are equal ignoring the hash label and empty fields. */
    static boolean equalIgnoringHash(PodTemplateSpec a, PodTemplateSpec b, KubernetesSerialization serialization) {
        return Objects.equals(normalized(a, serialization), normalized(b, serialization));
    }

    /** A short, stable name suffix for the template (FNV-1a over its canonical form). */
    static String hash(PodTemplateSpec template, int collisionCount, KubernetesSerialization serialization) {
        String canonical = canonical(normalized(template, serialization)) + (collisionCount > 0 ? "#" + collisionCount : "");
        int h = 0x811c9dc5;
        for (byte b : canonical.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        String digits = Integer.toUnsignedString(h);
        StringBuilder out = new StringBuilder(digits.length());
        for (char c : digits.toCharArray()) {
            out.append(ALPHABET.charAt(c % ALPHABET.length()));
        }
        return out.toString();
    }

    /** Every container and init container image of the template. */
    static List<String> images(PodTemplateSpec template) {
        if (template == null || template.getSpec() == null) {
            return List.of();
        }
        List<Container> containers = new ArrayList<>();
        Stream.of(template.getSpec().getInitContainers(), template.getSpec().getContainers())
                .filter(Objects::nonNull).forEach(containers::addAll);
        return containers.stream().map(Container::getImage).filter(Objects::nonNull).toList();
    }

    private static Object prune(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                Object p = prune(v);
                if (p != null) {
                    out.put(String.valueOf(k), p);
                }
            });
            return out.isEmpty() ? null : out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object v : list) {
                Object p = prune(v);
                out.add(p == null ? Map.of() : p);
            }
            return out.isEmpty() ? null : out;
        }
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return n.longValue();
        }
        return value;
    }

    private static String canonical(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            Map<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
            sorted.forEach((k, v) -> sb.append(k).append('=').append(canonical(v)).append(';'));
            return sb.append('}').toString();
        }
        if (value instanceof List<?> list) {
            StringBuilder sb = new StringBuilder("[");
            list.forEach(v -> sb.append(canonical(v)).append(','));
            return sb.append(']').toString();
        }
        return String.valueOf(value);
    }
}
