package dev.cicd.runner;

import dev.cicd.runner.internal.config.KeyProblem;
import java.util.List;

/**
 * Key {@code templates}: what the template functions may reach outside the watch's keys.
 *
 * @param allowEnv    environment variables {@code getenv} may read; any other name fails the render naming
 *                    it; empty by default
 * @param allowLookup names {@code lookupIP} and {@code lookupSRV} may resolve: {@code example.com}, or
 *                    {@code *.example.com} for the names below it; empty by default
 */
public record TemplatesConfig(List<String> allowEnv, List<String> allowLookup) {

    public TemplatesConfig {
        allowEnv = names("templates.allowEnv", allowEnv, "[A-Za-z_][A-Za-z0-9_]*");
        for (int i = 0; i < allowEnv.size(); i++) {
            if (allowEnv.get(i).startsWith("CICD_")) {
                throw new KeyProblem("templates.allowEnv[" + i + "]", "'" + allowEnv.get(i) + "': the runner's own CICD_* "
                        + "settings (credentials among them) are never readable by templates");
            }
        }
        allowLookup = names("templates.allowLookup", allowLookup, "(\\*\\.)?[A-Za-z0-9_]([-A-Za-z0-9_.]*[A-Za-z0-9])?\\.?");
    }

    private static List<String> names(String key, List<String> names, String pattern) {
        if (names == null) {
            return List.of();
        }
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (n == null || !n.matches(pattern)) {
                throw new KeyProblem(key + "[" + i + "]", "'" + n + "' is not " + (key.endsWith("Env")
                        ? "an environment variable name" : "a host name or *.domain"));
            }
        }
        return List.copyOf(names);
    }
}
