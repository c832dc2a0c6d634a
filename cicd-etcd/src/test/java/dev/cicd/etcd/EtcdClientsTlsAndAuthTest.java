package dev.cicd.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS against an etcd started here with client-certificate auth (certificates made with the
 * {@code openssl} command), and user/password against the testkit's etcd with auth enabled.
 */
@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdClientsTlsAndAuthTest {

    private static Path dir;
    private static Process tlsEtcd;
    private static String tlsEndpoint;

    EtcdFixture etcd;

    private static void run(Path cwd, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(cwd.resolve("openssl.log").toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: "
                    + Files.readString(cwd.resolve("openssl.log")));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @BeforeAll
    static void startTlsEtcd() throws Exception {
        dir = Path.of(System.getProperty("cicd.testkit.workDir", System.getProperty("java.io.tmpdir")))
                .resolve("tls-" + System.nanoTime());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=cicd-test-ca");
        for (String name : List.of("server", "client")) {
            run(dir, "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name + "-key.pem");
            run(dir, "openssl", "req", "-new", "-key", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + name);
            List<String> sign = new ArrayList<>(List.of("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                    "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", name + ".pem", "-days", "2"));
            if (name.equals("server")) {
                sign.addAll(List.of("-extfile", "server.ext"));
            }
            run(dir, sign.toArray(String[]::new));
        }
        // a second CA that did not sign the server certificate
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-key.pem", "-out",
                "other-ca.pem", "-days", "2", "-subj", "/CN=other-ca");
        int client = freePort();
        int peer = freePort();
        tlsEndpoint = "https://127.0.0.1:" + client;
        tlsEtcd = new ProcessBuilder("etcd", "--name", "tls", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", tlsEndpoint, "--advertise-client-urls", tlsEndpoint,
                "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "tls=http://127.0.0.1:" + peer,
                "--cert-file", dir.resolve("server.pem").toString(), "--key-file", dir.resolve("server-key.pem").toString(),
                "--trusted-ca-file", dir.resolve("ca.pem").toString(), "--client-cert-auth")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Client c = tlsBuilder().connect(Duration.ofSeconds(2))) {
                return;
            } catch (CicdException e) {
                if (System.nanoTime() > deadline || !tlsEtcd.isAlive()) {
                    throw new IllegalStateException("TLS etcd did not start: " + Files.readString(dir.resolve("etcd.log")), e);
                }
                Thread.sleep(200);
            }
        }
    }

    @AfterAll
    static void stopTlsEtcd() throws Exception {
        if (tlsEtcd != null) {
            tlsEtcd.destroyForcibly();
            tlsEtcd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static EtcdClients.Builder tlsBuilder() {
        return EtcdClients.builder().endpoints(tlsEndpoint).caFile(dir.resolve("ca.pem"))
                .certFile(dir.resolve("client.pem")).keyFile(dir.resolve("client-key.pem"));
    }

    @Test
    void mutualTlsClientPutsAndReads() throws Exception {
        try (Client c = tlsBuilder().connect(Duration.ofSeconds(5))) {
            c.getKVClient().put(Etcd.bytes("/tls/k"), Etcd.bytes("v")).get(5, TimeUnit.SECONDS);
            assertEquals("v", Etcd.text(c.getKVClient().get(Etcd.bytes("/tls/k")).get(5, TimeUnit.SECONDS)
                    .getKvs().get(0).getValue()));
        }
    }

    @Test
    void theJsonGatewayPutsOverMutualTlsAndRefusesAServerOfAnotherCa() throws Exception {
        URI endpoint = URI.create(tlsEndpoint);
        try (EtcdGateway gw = EtcdGateway.builder().endpoints(List.of(endpoint))
                .tls(dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve("client-key.pem")).build()) {
            long rev = TriggerPublisher.builder(gw).build().publish("/tls/gw", "{\"v\":1}");
            try (Client c = tlsBuilder().connect(Duration.ofSeconds(5))) {
                var kv = c.getKVClient().get(Etcd.bytes("/tls/gw")).get(5, TimeUnit.SECONDS).getKvs().get(0);
                assertEquals("{\"v\":1}", Etcd.text(kv.getValue()));
                assertEquals(rev, kv.getModRevision());
            }
        }
        try (EtcdGateway other = EtcdGateway.builder().endpoints(List.of(endpoint))
                .tls(dir.resolve("other-ca.pem"), dir.resolve("client.pem"), dir.resolve("client-key.pem")).build()) {
            CicdException e = assertThrows(CicdException.class,
                    () -> TriggerPublisher.builder(other).build().publish("/tls/gw2", "{}"));
            assertTrue(e.getMessage().contains(tlsEndpoint), e.getMessage());
        }
    }

    @Test
    void aServerSignedByAnotherCaIsRefusedNamingTheEndpoint() {
        CicdException e = assertThrows(CicdException.class, () -> EtcdClients.builder().endpoints(tlsEndpoint)
                .caFile(dir.resolve("other-ca.pem")).certFile(dir.resolve("client.pem"))
                .keyFile(dir.resolve("client-key.pem")).connect(Duration.ofSeconds(3)).close());
        assertTrue(e.getMessage().contains(tlsEndpoint), e.getMessage());
    }

    @Test
    void withoutAClientCertificateTheServerRefuses() {
        assertThrows(CicdException.class, () -> EtcdClients.builder().endpoints(tlsEndpoint)
                .caFile(dir.resolve("ca.pem")).connect(Duration.ofSeconds(3)).close());
    }

    @Test
    void userAndPasswordAuthenticateAndAWrongPasswordIsReportedWithTheUser() throws Exception {
        var auth = etcd.client().getAuthClient();
        ByteSequence root = ByteSequence.from("root", StandardCharsets.UTF_8);
        auth.roleAdd(root).get(5, TimeUnit.SECONDS);
        auth.userAdd(root, ByteSequence.from("s3cret", StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        auth.userGrantRole(root, root).get(5, TimeUnit.SECONDS);
        auth.authEnable().get(5, TimeUnit.SECONDS);
        try {
            String endpoint = etcd.endpoints().get(0).toString();
            try (Client c = EtcdClients.builder().endpoints(endpoint).user("root").password("s3cret")
                    .connect(Duration.ofSeconds(5))) {
                c.getKVClient().put(Etcd.bytes("/auth/k"), Etcd.bytes("v")).get(5, TimeUnit.SECONDS);
            }
            // the JSON gateway: a token from /v3/auth/authenticate, and the user named when refused
            try (EtcdGateway gw = EtcdGateway.builder().endpoints(etcd.endpoints()).credentials("root", "s3cret").build()) {
                TriggerPublisher.builder(gw).build().publish("/auth/gw", "{}");
            }
            try (EtcdGateway gw = EtcdGateway.builder().endpoints(etcd.endpoints()).credentials("root", "wrong").build()) {
                CicdException refused = assertThrows(CicdException.class,
                        () -> TriggerPublisher.builder(gw).build().publish("/auth/gw2", "{}"));
                assertTrue(refused.getMessage().contains("user root"), refused.getMessage());
            }
            try (EtcdGateway gw = EtcdGateway.builder().endpoints(etcd.endpoints()).build()) {
                CicdException anonymous = assertThrows(CicdException.class,
                        () -> TriggerPublisher.builder(gw).build().publish("/auth/gw3", "{}"));
                assertEquals(CicdException.Code.SOURCE, anonymous.code());
            }
            CicdException wrong = assertThrows(CicdException.class, () -> EtcdClients.builder().endpoints(endpoint)
                    .user("root").password("wrong").connect(Duration.ofSeconds(5)).close());
            assertTrue(wrong.getMessage().contains("as user root") && wrong.getMessage().contains(endpoint),
                    wrong.getMessage());
        } finally {
            try (Client admin = EtcdClients.builder().endpoints(etcd.endpoints()).user("root").password("s3cret").build()) {
                admin.getAuthClient().authDisable().get(5, TimeUnit.SECONDS);
            }
        }
    }
}
