package dev.cicd.core.internal.render;

import java.util.Objects;

/**
 * What the confd functions of one render read: the watch's keys.
 *
 * @param keys the watch's keys relative to its prefix
 */
public record RenderScope(KeyView keys) {
    public RenderScope {
        Objects.requireNonNull(keys, "keys");
    }
}
