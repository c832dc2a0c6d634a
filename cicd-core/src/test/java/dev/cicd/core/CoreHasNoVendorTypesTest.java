package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Keeps cicd-core free of jetcd, fabric8 and gRPC: not on its class path, not referenced by its classes. */
class CoreHasNoVendorTypesTest {

    private static final List<String> FORBIDDEN = List.of("io/etcd/", "io/fabric8/", "io/grpc/");

    @ParameterizedTest
    @ValueSource(strings = {"io.etcd.jetcd.Client", "io.fabric8.kubernetes.client.KubernetesClient", "io.grpc.Channel"})
    void vendorTypesAreNotOnTheClassPath(String type) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(type, false, getClass().getClassLoader()));
    }

    @Test
    void noMainClassReferencesAVendorPackage() throws Exception {
        Path classes = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "main classes are a directory: " + classes);
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                scanned++;
                // constant-pool UTF-8 entries hold every referenced class and descriptor in internal form;
                // ISO-8859-1 maps each byte to one char, so the ASCII package names are found as they are
                String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String pkg : FORBIDDEN) {
                    if (bytes.contains(pkg)) {
                        offenders.add(classes.relativize(f) + " references " + pkg);
                    }
                }
            }
        }
        assertTrue(scanned > 20, "scanned the module's classes (found " + scanned + ")");
        assertEquals(List.of(), offenders);
    }
}
