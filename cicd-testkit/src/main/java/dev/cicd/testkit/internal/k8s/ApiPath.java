package dev.cicd.testkit.internal.k8s;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed resource URL path: {@code /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]} or
 * {@code /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]}. Empty strings stand for absent
 * parts (core group, cluster scope, collection, main resource).
 */
record ApiPath(String group, String version, String namespace, String plural, String name,
        String subresource) {

    ApiPath {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(plural, "plural");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(subresource, "subresource");
        if (version.isEmpty() || plural.isEmpty()) {
            throw new IllegalArgumentException("version and resource are required");
        }
    }

    /** Parses a path without query string; empty when it is not a resource path. */
    static Optional<ApiPath> parse(String path) {
        List<String> s = Arrays.stream(path.split("/")).filter(p -> !p.isEmpty()).toList();
        int i;
        String group;
        String version;
        if (s.size() >= 3 && s.get(0).equals("api")) {
            group = "";
            version = s.get(1);
            i = 2;
        } else if (s.size() >= 4 && s.get(0).equals("apis")) {
            group = s.get(1);
            version = s.get(2);
            i = 3;
        } else {
            return Optional.empty();
        }
        List<String> rest = s.subList(i, s.size());
        String namespace = "";
        if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
            namespace = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        if (rest.isEmpty() || rest.size() > 3) {
            return Optional.empty();
        }
        return Optional.of(new ApiPath(group, version, namespace, rest.get(0),
                rest.size() > 1 ? rest.get(1) : "", rest.size() > 2 ? rest.get(2) : ""));
    }

    String groupVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    boolean isCollection() {
        return name.isEmpty();
    }

    /** The path of the object itself (no subresource). */
    String objectPath() {
        return collectionPath() + "/" + name;
    }

    /** The path of the collection the object belongs to. */
    String collectionPath() {
        String base = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
        return base + (namespace.isEmpty() ? "" : "/namespaces/" + namespace) + "/" + plural;
    }
}
