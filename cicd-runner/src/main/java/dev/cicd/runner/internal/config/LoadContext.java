package dev.cicd.runner.internal.config;

import java.util.Map;

/**
 * The config file being loaded, for messages: its name, the line of every key (by JSON pointer), and
 * the keys set by environment variables (pointer -> variable).
 */
record LoadContext(String file, Map<String, Integer> lines, Map<String, String> overrides) {

    /** {@code FILE:LINE: } or {@code CICD_X (overrides KEY of FILE): } for a pointer. */
    String where(String pointer, String env) {
        String var = env != null ? env : overrideOf(pointer);
        if (var != null) {
            return var + " (environment override of " + ConfigErrors.displayPath(pointer) + " in " + file + "): ";
        }
        Integer line = lineOf(pointer);
        return file + (line == null ? "" : ":" + line) + ": ";
    }

    String overrideOf(String pointer) {
        for (String p = pointer; ; p = parent(p)) {
            String v = overrides.get(p);
            if (v != null) {
                return v;
            }
            if (p.isEmpty()) {
                return null;
            }
        }
    }

    Integer lineOf(String pointer) {
        for (String p = pointer; ; p = parent(p)) {
            Integer l = lines.get(p);
            if (l != null) {
                return l;
            }
            if (p.isEmpty()) {
                return null;
            }
        }
    }

    private static String parent(String pointer) {
        int i = pointer.lastIndexOf('/');
        return i <= 0 ? "" : pointer.substring(0, i);
    }
}
