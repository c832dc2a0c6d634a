package dev.cicd.k8s.internal;

import java.util.Locale;

/** Pieces of an image reference whose grammar was already checked. */
public final class ImageRefs {

    /** The registry Docker assumes when a reference names none. */
    public static final String DEFAULT_REGISTRY = "docker.io";

    private ImageRefs() {
    }

    /**
     * The registry host (with port) of a reference: its first path component when that contains a dot
     * or a colon or is {@code localhost}; otherwise {@value #DEFAULT_REGISTRY}. Lower-case.
     */
    public static String registry(String image) {
        int slash = image.indexOf('/');
        if (slash < 0) {
            return DEFAULT_REGISTRY;
        }
        String first = image.substring(0, slash);
        if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
            return first.toLowerCase(Locale.ROOT);
        }
        return DEFAULT_REGISTRY;
    }
}
