package dev.cicd.core.internal.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoPathTest {

    @ParameterizedTest
    @CsvSource({
        "/a/b/c, /a/b/c",
        "/a//b/, /a/b",
        "/a/./b/../c, /a/c",
        "/.., /",
        "a/../.., ..",
        "'', .",
        "/, /",
    })
    void cleanFollowsGo(String in, String out) {
        assertEquals(out, GoPath.clean(in));
    }

    @ParameterizedTest
    @CsvSource({
        "/services/data/url, url, /services/data",
        "/services/data/, data, /services/data",
        "url, url, .",
        "/, /, /",
        "'', ., .",
        "/a, a, /",
    })
    void baseAndDirFollowGo(String in, String base, String dir) {
        assertEquals(base, GoPath.base(in));
        assertEquals(dir, GoPath.dir(in));
    }

    @ParameterizedTest
    @CsvSource({
        "/a/*, /a/b, true",
        "/a/*, /a/b/c, false",
        "/a/*/c, /a/b/c, true",
        "/a/?, /a/b, true",
        "/a/?, /a/bc, false",
        "/a/[b-d], /a/c, true",
        "/a/[^b-d], /a/c, false",
        "/a/[^b-d], /a/e, true",
        "/a[^x]b, /a/b, false",
        "/a/\\*, /a/*, true",
        "/a/\\*, /a/b, false",
        "/a.b, /a.b, true",
        "/a.b, /axb, false",
        "/a/(x)+, /a/(x)+, true",
    })
    void matchFollowsGoPathMatch(String pattern, String name, boolean matches) {
        assertEquals(matches, GoPath.match(pattern, name), pattern + " vs " + name);
    }

    @Test
    void malformedPatternsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GoPath.match("/a[", "/a"));
        assertThrows(IllegalArgumentException.class, () -> GoPath.match("/a\\", "/a"));
        assertThrows(IllegalArgumentException.class, () -> GoPath.match("/[z-a]", "/b"));
        assertThrows(IllegalArgumentException.class, () -> GoPath.match("/a/[]]", "/a/]"));
        assertThrows(IllegalArgumentException.class, () -> GoPath.match("/a/[-a]", "/a/a"));
    }
}
