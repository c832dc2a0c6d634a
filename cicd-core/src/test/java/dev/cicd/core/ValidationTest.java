package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationTest {

    private static final String LABEL_63 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String LABEL_64 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String SHA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static void rejected(BiFunction<String, String, String> check, String value, String... inMessage) {
        CicdException e = assertThrows(CicdException.class, () -> check.apply("theField", value), "accepted '" + value + "'");
        assertEquals(CicdException.Code.INVALID_FIELD, e.code());
        assertTrue(e.getMessage().startsWith("theField: "), e.getMessage());
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), () -> "expected '" + s + "' in: " + e.getMessage());
        }
    }

    // ---- DNS-1123 label ----

    @ParameterizedTest
    @ValueSource(strings = {"a", "ns-demo1-dev", "0", "1a", "a-1", "a--b", LABEL_63})
    void dns1123LabelAccepts(String value) {
        assertSame(value, Validation.dns1123Label("k8sNamespace", value));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "Bad_NS", "UPPER", "-a", "a-", "a.b", "a b", "a;b", "$(id)", "v1; touch /tmp/x", LABEL_64,
        "ns\n", "é"})
    void dns1123LabelRejects(String value) {
        rejected(Validation::dns1123Label, value, "is not a DNS-1123 label");
    }

    @Test
    void dns1123LabelMessageNamesFieldValueAndRule() {
        CicdException e = assertThrows(CicdException.class, () -> Validation.dns1123Label("k8sNamespace", "Bad_NS"));
        assertEquals("k8sNamespace: 'Bad_NS' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 "
                + "characters, starting and ending with a letter or digit)", e.getMessage());
    }

    // ---- DNS-1123 subdomain ----

    @ParameterizedTest
    @ValueSource(strings = {"demo1-gateway", "a.b.c", "a", "my-app.v1", LABEL_63 + "." + LABEL_63})
    void dns1123SubdomainAccepts(String value) {
        assertSame(value, Validation.dns1123Subdomain("name", value));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "A.b", "a..b", ".a", "a.", "a_b", "-a.b", "a.-b", "a b", "a/b", "$(id)", "v1;x"})
    void dns1123SubdomainRejects(String value) {
        rejected(Validation::dns1123Subdomain, value, "is not a DNS-1123 subdomain");
    }

    @Test
    void dns1123SubdomainRejectsMoreThan253Characters() {
        String ok = String.join(".", LABEL_63, LABEL_63, LABEL_63, "a".repeat(61)); // 253
        assertEquals(253, ok.length());
        assertEquals(ok, Validation.dns1123Subdomain("name", ok));
        rejected(Validation::dns1123Subdomain, ok + "a", "253");
    }

    // ---- image reference ----

    @ParameterizedTest
    @ValueSource(strings = {
        "nginx",
        "nginx:1.25",
        "library/nginx:latest",
        "registry.cn-hangzhou.aliyuncs.com/ns-demo/demo1-gateway:v1",
        "localhost:5000/app:v1",
        "Registry.Example.COM:443/team/app_x:V1.2-rc_3",
        "registry.example.com/a/b/c/d:tag",
        "my__app/x.y/z-z---z:1",
        "app@" + SHA,
        "registry.example.com/app:v1@" + SHA,
        "[::1]:5000/app:v1",
        "app:_underscore.first",
    })
    void imageReferenceAccepts(String value) {
        assertSame(value, Validation.imageReference("image", value));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {
        "",
        "v1; touch /tmp/x",
        "app:v1; touch /tmp/x",
        "app:$(id)",
        "$(id)",
        "app:`id`",
        "app:v1 && rm -rf /",
        "app:v1\ntouch x",
        "app: v1",
        " app:v1",
        "MyApp:v1",
        "registry.example.com/Team/app:v1",
        "app:-v1",
        "app:.v1",
        "app:",
        "app@sha256:abc",
        "app@sha256:" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "app@md5:0123456789abcdef0123456789abcdef",
        "/app",
        "app/",
        "a//b",
        "app_:v1",
        "_app",
        "app|x",
        "app>x",
        "https://registry.example.com/app:v1",
    })
    void imageReferenceRejects(String value) {
        rejected(Validation::imageReference, value, "is not a container image reference");
    }

    @Test
    void imageReferenceTagsAreAtMost128Characters() {
        assertEquals("app:" + "t".repeat(128), Validation.imageReference("image", "app:" + "t".repeat(128)));
        rejected(Validation::imageReference, "app:" + "t".repeat(129));
    }

    @Test
    void imageReferenceNamesAreAtMost255Characters() {
        String name = "a/".repeat(127) + "a"; // 255
        assertEquals(name + ":v1", Validation.imageReference("image", name + ":v1"));
        rejected(Validation::imageReference, name + "b:v1", "255");
        rejected(Validation::imageReference, "a".repeat(10_000), "...(10000 characters)");
    }

    // ---- image tag ----

    @ParameterizedTest
    @ValueSource(strings = {"v1", "V1.2.3-rc_1", "_x", "0", "latest", "2018-05-04"})
    void imageTagAccepts(String value) {
        assertSame(value, Validation.imageTag("imageTag", value));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "v1; touch /tmp/x", "$(id)", "`id`", "v1 ", "-v1", ".v1", "v1:2", "v1/2", "v1@x", "v1\n",
        "ü"})
    void imageTagRejects(String value) {
        rejected(Validation::imageTag, value, "is not an image tag");
    }

    @Test
    void imageTagRejectsMoreThan128Characters() {
        assertEquals("a".repeat(128), Validation.imageTag("imageTag", "a".repeat(128)));
        rejected(Validation::imageTag, "a".repeat(129));
    }

    @Test
    void rejectedValuesAreShownOnOneLine() {
        CicdException e = assertThrows(CicdException.class, () -> Validation.imageTag("imageTag", "v1\ntouch x"));
        assertTrue(e.getMessage().startsWith("imageTag: 'v1\\ntouch x' is not an image tag"), e.getMessage());
    }

    // ---- allow-list and text ----

    @Test
    void oneOfAcceptsAllowedValuesAndListsThemWhenRejecting() {
        Set<String> allowed = Set.of("ns-b", "ns-a");
        assertSame("ns-a", Validation.oneOf("k8sNamespace", "ns-a", allowed));
        CicdException e = assertThrows(CicdException.class, () -> Validation.oneOf("k8sNamespace", "kube-system", allowed));
        assertEquals(CicdException.Code.INVALID_FIELD, e.code());
        assertEquals("k8sNamespace: 'kube-system' is not one of the allowed values [ns-a, ns-b]", e.getMessage());
        rejected((f, v) -> Validation.oneOf(f, v, allowed), "NS-A", "[ns-a, ns-b]");
        rejected((f, v) -> Validation.oneOf(f, v, allowed), null, "null");
    }

    @Test
    void requireTextRejectsNullEmptyAndBlank() {
        assertSame("x", Validation.requireText("appName", "x"));
        rejected(Validation::requireText, null, "null", "must not be blank");
        rejected(Validation::requireText, "", "''", "must not be blank");
        rejected(Validation::requireText, " \t", "' \\t'", "must not be blank");
    }
}
