package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.TriggerSignatures;
import dev.cicd.core.WatchSpec;
import dev.cicd.runner.internal.wiring.Wiring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code watches[].verify}: key references, not secrets, resolved and read when the runner is wired. */
class VerifyConfigTest {

    static final String CONFIG = """
            etcd:
              endpoints: [http://127.0.0.1:2379]
            watches:
              - name: deploy
                prefix: /cicd/deploy
                keys: [/trigger]
                template: script.peb
                action: shell
                verify:
                  hmacKeys: [ci=keys/hmac.key, ci2=env:DEPLOY_HMAC]
                  ed25519Keys: [release=keys/release.pub]
                  maxValidity: 10m
            """;

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Files.writeString(dir.resolve("script.peb"), "echo {{ value | sh }}\n");
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(dir.resolve("keys/hmac.key"), "0123456789abcdef0123456789abcdef\n");
        byte[] spki = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
        Files.writeString(dir.resolve("keys/release.pub"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(spki) + "\n-----END PUBLIC KEY-----\n");
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private String error(String yaml, Map<String, String> env) throws Exception {
        Path f = write(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> RunnerConfig.load(f, env));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void keyFilesResolveAgainstTheConfigAndTheVerifierKnowsEveryKeyId() throws Exception {
        RunnerConfig c = RunnerConfig.load(write(CONFIG), Map.of());
        WatchConfig.Verify v = c.watches().get(0).verify();
        assertEquals(List.of("ci=" + dir.resolve("keys/hmac.key"), "ci2=env:DEPLOY_HMAC"), v.hmacKeys());
        assertEquals(List.of("release=" + dir.resolve("keys/release.pub")), v.ed25519Keys());
        assertEquals(Duration.ofMinutes(10), v.maxValidity());
        TriggerSignatures s = Wiring.signatures(c.watches().get(0), Map.of("DEPLOY_HMAC", "fedcba9876543210fedcba9876543210"));
        assertEquals(Set.of("ci", "ci2", "release"), s.keyIds());
        assertEquals(Duration.ofMinutes(10), s.maxValidity());
    }

    @Test
    void aWatchWithoutVerifyTakesUnsignedValues() throws Exception {
        RunnerConfig c = RunnerConfig.load(write(CONFIG.substring(0, CONFIG.indexOf("    verify:"))), Map.of());
        assertNull(c.watches().get(0).verify());
        WatchSpec spec = Wiring.watchSpecs(c).get(0);
        assertTrue(spec.verify().isEmpty());
    }

    @Test
    void theKeysCanBeSetByEnvironmentVariables() throws Exception {
        RunnerConfig c = RunnerConfig.load(write(CONFIG.substring(0, CONFIG.indexOf("    verify:"))),
                Map.of("CICD_WATCHES_DEPLOY_VERIFY_HMAC_KEYS", "ci=env:X,other=keys/hmac.key",
                        "CICD_WATCHES_DEPLOY_VERIFY_MAX_VALIDITY", "2m"));
        WatchConfig.Verify v = c.watches().get(0).verify();
        assertEquals(List.of("ci=env:X", "other=" + dir.resolve("keys/hmac.key")), v.hmacKeys());
        assertEquals(Duration.ofMinutes(2), v.maxValidity());
    }

    @Test
    void aSecretWrittenInlineIsRefusedNamingTheKeyAndLine() throws Exception {
        String msg = error(CONFIG.replace("ci=keys/hmac.key", "0123456789abcdef0123456789abcdef"), Map.of());
        assertTrue(msg.contains("cicd.yaml:") && msg.contains("watches[0].verify.hmacKeys: '0123456789abcdef0123456789abcdef' "
                + "is not ID=FILE or ID=env:VARIABLE"), msg);
    }

    @Test
    void aMissingKeyFileIsAConfigError() throws Exception {
        String msg = error(CONFIG.replace("keys/release.pub", "keys/nope.pub"), Map.of());
        assertTrue(msg.contains("watches[0].verify.ed25519Keys: file " + dir.resolve("keys/nope.pub") + " not found"), msg);
    }

    @Test
    void verifyWithoutKeysAndAKeyIdTwiceAreConfigErrors() throws Exception {
        assertTrue(error(CONFIG.replace("hmacKeys: [ci=keys/hmac.key, ci2=env:DEPLOY_HMAC]", "hmacKeys: []")
                .replace("ed25519Keys: [release=keys/release.pub]", "ed25519Keys: []"), Map.of())
                .contains("needs at least one key"));
        assertTrue(error(CONFIG.replace("ci2=env:DEPLOY_HMAC", "release=env:DEPLOY_HMAC"), Map.of())
                .contains("key id 'release' is given twice"));
    }

    @Test
    void anUnsetSecretVariableOrAShortSecretStopsTheWiringNamingTheKeyId() throws Exception {
        RunnerConfig c = RunnerConfig.load(write(CONFIG), Map.of());
        String unset = assertThrows(ConfigException.class, () -> Wiring.signatures(c.watches().get(0), Map.of())).getMessage();
        assertEquals("watches[deploy].verify.hmacKeys: key id ci2: the environment variable DEPLOY_HMAC is not set", unset);
        String shortSecret = assertThrows(ConfigException.class,
                () -> Wiring.signatures(c.watches().get(0), Map.of("DEPLOY_HMAC", "short"))).getMessage();
        assertTrue(shortSecret.contains("key id ci2") && shortSecret.contains("at least 16"), shortSecret);
        assertFalse(shortSecret.contains("short\""), shortSecret);
    }
}
