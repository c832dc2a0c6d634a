package dev.cicd.core.internal.render;

import java.util.List;

/**
 * confd's functions that read the watch's keys (relative to its prefix): {@code getv(key[, default])},
 * {@code exists(key)}, {@code gets(pattern)}, {@code getvs(pattern)}, {@code ls(dir)}, {@code lsdir(dir)}.
 */
final class KeyFunctions {

    private KeyFunctions() {
    }

    static void register(FunctionTable t) {
        t.fn("getv", List.of("key", "default"), 1, a -> {
            String key = a.str("key");
            return a.scope().keys().get(key).orElseGet(() -> {
                if (a.has("default")) {
                    return a.str("default");
                }
                throw a.fail("getv: " + a.scope().keys().describeMissing(key) + " and no default was given");
            });
        });
        t.fn("exists", List.of("key"), 1, a -> a.scope().keys().exists(a.str("key")));
        t.fn("gets", List.of("pattern"), 1, a -> a.scope().keys().gets(a.glob("pattern")));
        t.fn("getvs", List.of("pattern"), 1, a -> a.scope().keys().getvs(a.glob("pattern")));
        t.fn("ls", List.of("dir"), 1, a -> a.scope().keys().ls(a.str("dir")));
        t.fn("lsdir", List.of("dir"), 1, a -> a.scope().keys().lsdir(a.str("dir")));
    }
}
