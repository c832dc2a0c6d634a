package dev.cicd.etcd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdClientsTest {

    @TempDir
    Path dir;

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void endpointWithoutSchemeOrPortIsNamed() {
        assertTrue(message(() -> EtcdClients.builder().endpoints("127.0.0.1:2379")).contains("127.0.0.1:2379"));
        assertTrue(message(() -> EtcdClients.builder().endpoints("http://127.0.0.1")).contains("port"));
        assertTrue(message(() -> EtcdClients.builder().build()).contains("no etcd endpoint"));
    }

    @Test
    void missingCaFileIsNamed() {
        Path missing = dir.resolve("nope.pem");
        String m = message(() -> EtcdClients.builder().endpoints("https://127.0.0.1:2379").caFile(missing).build());
        assertTrue(m.contains(missing.toString()) && m.contains("does not exist"), m);
    }

    @Test
    void caFileWithoutCertificateIsNamed() throws Exception {
        Path bad = Files.writeString(dir.resolve("ca.pem"), "hello");
        String m = message(() -> EtcdClients.builder().endpoints("https://127.0.0.1:2379").caFile(bad).build());
        assertTrue(m.contains(bad.toString()) && m.contains("BEGIN CERTIFICATE"), m);
    }

    @Test
    void pkcs1KeyIsRefusedWithTheConversionCommand() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
        Path key = Files.writeString(dir.resolve("k.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n");
        String m = message(() -> EtcdClients.builder().endpoints("https://127.0.0.1:2379").certFile(cert).keyFile(key).build());
        assertTrue(m.contains(key.toString()) && m.contains("openssl pkcs8"), m);
    }

    @Test
    void incompletePairsAreRefused() throws Exception {
        assertTrue(message(() -> EtcdClients.builder().endpoints("http://127.0.0.1:2379").user("ci").build())
                .contains("without a password"));
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        assertTrue(message(() -> EtcdClients.builder().endpoints("https://127.0.0.1:2379").certFile(cert).build())
                .contains("without a key file"));
    }

    @Test
    void mixingHttpAndHttpsIsRefused() {
        assertTrue(message(() -> EtcdClients.builder().endpoints("http://127.0.0.1:2379", "https://127.0.0.1:2380").build())
                .contains("mix http and https"));
    }
}
