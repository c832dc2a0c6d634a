package dev.cicd.k8s.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cicd.core.CicdException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads Kubernetes objects from YAML: every document of a file, of every {@code .yaml}/{@code .yml}/
 * {@code .json} file below a directory (sorted by path), or of inline text. {@code kind: List} documents
 * are expanded. Namespaces come first, the rest keeps file and document order.
 */
public final class Manifests {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One object read from a manifest.
     *
     * @param source file and document number, e.g. {@code app/deploy.yaml#2}
     * @param object the object, typed by fabric8's model
     */
    public record Item(String source, HasMetadata object) {
        public String describe() {
            HasMetadata o = object;
            String ns = o.getMetadata().getNamespace();
            return o.getKind() + " " + (ns == null || ns.isEmpty() ? "" : ns + "/") + o.getMetadata().getName();
        }
    }

    private Manifests() {
    }

    /** Every object of a file or a directory tree. */
    public static List<Item> load(Path path, KubernetesSerialization serialization) {
        return load(path, null, serialization);
    }

    /**
     * Every object of a file or a directory tree whose files all really lie below {@code realRoot} (a real
     * path, see {@link Path#toRealPath}): a file that is a symlink leading outside it is refused, naming it.
     */
    public static List<Item> load(Path path, Path realRoot, KubernetesSerialization serialization) {
        if (!Files.exists(path)) {
            throw invalid("apply.path " + path + " does not exist");
        }
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.walk(path)) {
                files = s.filter(Files::isRegularFile).filter(Manifests::isManifest)
                        .sorted(Comparator.comparing(p -> path.relativize(p).toString()))
                        .toList();
            } catch (IOException | UncheckedIOException e) {
                throw invalid("apply.path " + path + " cannot be read: " + e.getMessage());
            }
            if (files.isEmpty()) {
                throw invalid("apply.path " + path + " holds no .yaml, .yml or .json file");
            }
        } else {
            files = List.of(path);
        }
        List<Item> items = new ArrayList<>();
        for (Path f : files) {
            if (realRoot != null) {
                requireBelow(f, realRoot);
            }
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw invalid("apply.path file " + f + " cannot be read: " + e.getMessage());
            }
            String name = Files.isDirectory(path) ? path.relativize(f).toString() : f.getFileName().toString();
            items.addAll(parseDocuments(name, text, serialization));
        }
        return namespacesFirst(items);
    }

    private static void requireBelow(Path f, Path realRoot) {
        Path real;
        try {
            real = f.toRealPath();
        } catch (IOException e) {
            throw invalid("apply.path file " + f + " cannot be resolved: " + e.getMessage());
        }
        if (!real.startsWith(realRoot)) {
            throw invalid("apply.path file " + f + " leads to " + real + ", outside the manifest root " + realRoot
                    + " (a symlink leaving the root is refused)");
        }
    }

    /** Every object of inline YAML text. */
    public static List<Item> parse(String source, String text, KubernetesSerialization serialization) {
        return namespacesFirst(parseDocuments(source, text, serialization));
    }

    private static boolean isManifest(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
    }

    private static List<Item> namespacesFirst(List<Item> items) {
        List<Item> out = new ArrayList<>();
        items.stream().filter(i -> i.object() instanceof Namespace).forEach(out::add);
        items.stream().filter(i -> !(i.object() instanceof Namespace)).forEach(out::add);
        return out;
    }

    private static List<Item> parseDocuments(String source, String text, KubernetesSerialization serialization) {
        List<Item> items = new ArrayList<>();
        int doc = 0;
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
            while (it.hasNextValue()) {
                JsonNode node = it.nextValue();
                doc++;
                if (node == null || node.isNull() || node.isMissingNode() || (node.isObject() && node.isEmpty())) {
                    continue;
                }
                addObject(source + "#" + doc, node, serialization, items);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CicdException c) {
                throw c;
            }
            throw invalid("manifest " + source + (doc > 0 ? " document " + (doc + 1) : "")
                    + " is not valid YAML: " + e.getMessage());
        }
        return items;
    }

    private static void addObject(String source, JsonNode node, KubernetesSerialization serialization, List<Item> items)
            throws IOException {
        if (!node.isObject()) {
            throw invalid("manifest " + source + " is not a map (a Kubernetes object)");
        }
        String kind = node.path("kind").asText("");
        String apiVersion = node.path("apiVersion").asText("");
        if (kind.isEmpty() || apiVersion.isEmpty()) {
            throw invalid("manifest " + source + " needs apiVersion and kind");
        }
        if (kind.endsWith("List") && node.path("items").isArray()) {
            int i = 0;
            for (JsonNode item : node.path("items")) {
                addObject(source + "/items[" + i++ + "]", item, serialization, items);
            }
            return;
        }
        String name = node.path("metadata").path("name").asText("");
        if (name.isEmpty()) {
            throw invalid("manifest " + source + " (" + kind + ") needs metadata.name");
        }
        Object parsed;
        try {
            parsed = serialization.unmarshal(JSON.writeValueAsString(node));
        } catch (RuntimeException e) {
            throw invalid("manifest " + source + " (" + kind + " " + name + ") does not parse: " + e.getMessage());
        }
        if (!(parsed instanceof HasMetadata hm) || parsed instanceof GenericKubernetesResource) {
            throw invalid("manifest " + source + ": kind " + kind + " (apiVersion " + apiVersion
                    + ") is not a built-in Kubernetes kind; apply supports built-in kinds only");
        }
        items.add(new Item(source, hm));
    }

    private static CicdException invalid(String msg) {
        return new CicdException(CicdException.Code.INVALID_FIELD, msg);
    }
}
