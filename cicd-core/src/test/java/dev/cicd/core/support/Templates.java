package dev.cicd.core.support;

import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Renderer;

/** The renderer pipeline tests use: the real Pebble one, with inline templates. */
public final class Templates {

    private Templates() {
    }

    /** A renderer with inline templates given as name, source, name, source, ... */
    public static Renderer of(String... nameSourcePairs) {
        if (nameSourcePairs.length % 2 != 0) {
            throw new IllegalArgumentException("pairs of name and source expected");
        }
        PebbleRenderer.Builder b = PebbleRenderer.builder().classpathPrefix(null);
        for (int i = 0; i < nameSourcePairs.length; i += 2) {
            b.template(nameSourcePairs[i], nameSourcePairs[i + 1]);
        }
        return b.build();
    }
}
