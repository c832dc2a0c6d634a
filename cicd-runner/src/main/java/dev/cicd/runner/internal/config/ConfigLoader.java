package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a {@link RunnerConfig} from YAML: strict keys, environment overrides, paths resolved against
 * the file's directory, template and TLS files checked. Every problem becomes a one-line
 * {@link ConfigException} naming the file and line, the key, or the environment variable.
 *
 * <p>The steps, each in its own class: {@link ConfigMapper} binds, {@link ActionShorthand} and
 * {@link EnvironmentOverrides} edit the tree before binding, {@link ConfigFiles} resolves paths, and
 * {@link ConfigErrors} turns each failure into its message, using the lines recorded in {@link LoadContext}.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Loads, overrides, binds, resolves and checks. */
    public static RunnerConfig load(Path file, Map<String, String> env) {
        Path abs = file.toAbsolutePath().normalize();
        String name = abs.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(abs);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + name + " not found");
        } catch (IOException e) {
            throw new ConfigException("config file " + name + " cannot be read: " + e.getMessage(), e);
        }
        ObjectMapper mapper = ConfigMapper.create();
        Map<String, Integer> lines = new HashMap<>();
        JsonNode tree;
        try {
            collectLines(mapper, bytes, lines);
            tree = mapper.readTree(bytes);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(name + (line > 0 ? ":" + line : "") + ": not valid YAML: "
                    + ConfigErrors.firstLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot be read: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException(name + ": the file is empty; it needs at least a watches section");
        }
        if (!tree.isObject()) {
            throw new ConfigException(name + ":1: the top level must be a map of sections (etcd, kubernetes, registry, runner, watches, notify)");
        }
        LoadContext ctx = new LoadContext(name, lines, new HashMap<>());
        ActionShorthand.normalise((ObjectNode) tree, ctx);
        EnvironmentOverrides.apply((ObjectNode) tree, env, ctx);
        RunnerConfig bound;
        try {
            bound = mapper.treeToValue(tree, RunnerConfig.class);
        } catch (JsonProcessingException e) {
            throw ConfigErrors.translate(e, ctx);
        } catch (IllegalArgumentException e) {
            throw ConfigErrors.translate(e, ctx);
        }
        return ConfigFiles.resolve(bound, abs.getParent(), ctx);
    }

    /** Records the line of every key and list element, by JSON pointer ({@code /watches/0/prefix}). */
    private static void collectLines(ObjectMapper mapper, byte[] bytes, Map<String, Integer> lines) throws IOException {
        try (JsonParser p = mapper.getFactory().createParser(bytes)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                String ptr = p.getParsingContext().pathAsPointer().toString();
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    // the container's own pointer belongs to its parent position
                    ptr = p.getParsingContext().getParent() == null ? "" : p.getParsingContext().getParent().pathAsPointer().toString();
                }
                if (!ptr.isEmpty()) {
                    lines.putIfAbsent(ptr, p.currentTokenLocation().getLineNr());
                }
            }
        }
    }
}
