package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.TriggerSignatures.Signer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerSignaturesTest {

    private static final String KEY = "/cicd/rollout/trigger";
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final String PAYLOAD = "{\"action\":\"deploy\",\"imageTag\":\"v7\"}";
    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    private static final Instant IN_5M = NOW.plus(Duration.ofMinutes(5));
    private static final String NONCE = "00112233445566778899aabbccddeeff";

    private static final KeyPair ED = ed25519();

    @TempDir
    Path tmp;

    private static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TriggerSignatures verifier() {
        return TriggerSignatures.builder().hmacKey("ci", SECRET).ed25519Key("release", ED.getPublic()).build();
    }

    private static byte[] hmacSigned(String key, String payload, Instant expires, String nonce) {
        return TriggerSignatures.sign(key, payload.getBytes(StandardCharsets.UTF_8), Signer.hmac("ci", SECRET), expires, nonce);
    }

    private static TriggerEvent put(byte[] value, long revision) {
        return new TriggerEvent("rollout", KEY, value, EventType.PUT, revision, 1, revision);
    }

    private static String rejection(TriggerSignatures v, TriggerEvent e, Instant now) {
        CicdException ex = assertThrows(CicdException.class, () -> v.verify(e, now));
        assertEquals(CicdException.Code.BAD_PAYLOAD, ex.code());
        assertTrue(ex.getMessage().startsWith("signature rejected: "), ex.getMessage());
        return ex.getMessage();
    }

    @Test
    void aGoodHmacSignatureVerifiesAndYieldsThePayloadWithTheSameKeyAndRevision() {
        TriggerEvent e = put(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), 7);
        TriggerEvent out = verifier().verify(e, NOW);
        assertEquals(PAYLOAD, out.text());
        assertEquals(KEY, out.key());
        assertEquals(7, out.modRevision());
        assertEquals(e.version(), out.version());
    }

    @Test
    void theValueIsTheHeaderLineThenThePayloadBytes() {
        String v = new String(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), StandardCharsets.UTF_8);
        String header = "cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=" + IN_5M.getEpochSecond() + " nonce=" + NONCE;
        assertTrue(v.startsWith(header + " sig="), v);
        assertTrue(v.endsWith("\n" + PAYLOAD), v);
        // the signed message: header without sig=, newline, key, newline, payload
        byte[] message = (header + "\n" + KEY + "\n" + PAYLOAD).getBytes(StandardCharsets.UTF_8);
        String sig = v.substring(v.indexOf(" sig=") + 5, v.indexOf('\n'));
        assertArrayEquals(dev.cicd.core.internal.signature.Crypto.hmacSha256(SECRET, message), Base64.getDecoder().decode(sig));
    }

    @Test
    void aGoodEd25519SignatureVerifies() {
        byte[] v = TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8),
                Signer.ed25519("release", ED.getPrivate()), IN_5M);
        assertTrue(new String(v, StandardCharsets.UTF_8).startsWith("cicd-sig-v1 key-id=release alg=ed25519 "));
        assertEquals(PAYLOAD, verifier().verify(put(v, 3), NOW).text());
    }

    @Test
    void aSignatureMadeWithAnotherSecretIsRejected() {
        byte[] v = TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8),
                Signer.hmac("ci", "another-secret-of-32-bytes-long!".getBytes(StandardCharsets.UTF_8)), IN_5M);
        assertTrue(rejection(verifier(), put(v, 3), NOW).contains("does not verify with key id 'ci'"));
    }

    @Test
    void aSignatureMadeWithAnotherEd25519KeyIsRejected() {
        byte[] v = TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8),
                Signer.ed25519("release", ed25519().getPrivate()), IN_5M);
        assertTrue(rejection(verifier(), put(v, 3), NOW).contains("does not verify with key id 'release'"));
    }

    @Test
    void anUnknownKeyIdIsRejectedNamingTheKnownOnes() {
        byte[] v = TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8), Signer.hmac("other", SECRET), IN_5M);
        String msg = rejection(verifier(), put(v, 3), NOW);
        assertTrue(msg.contains("key id 'other'") && msg.contains("knows ci, release"), msg);
    }

    @Test
    void anAlgOtherThanTheKeysIsRejected() {
        // an HMAC made with the Ed25519 key id: the key id decides the algorithm, the header cannot
        byte[] v = TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8), Signer.hmac("release", SECRET), IN_5M);
        assertTrue(rejection(verifier(), put(v, 3), NOW).contains("says alg=hmac-sha256, but key id 'release' is an ed25519 key"));
    }

    @Test
    void anUnsignedValueIsRejectedWhenSignaturesAreRequired() {
        String msg = rejection(verifier(), put(PAYLOAD.getBytes(StandardCharsets.UTF_8), 3), NOW);
        assertTrue(msg.contains("the value of " + KEY + " at revision 3 is not signed"), msg);
    }

    @Test
    void anExpiredSignatureIsRejected() {
        TriggerEvent e = put(hmacSigned(KEY, PAYLOAD, NOW.minusSeconds(1), NONCE), 3);
        assertTrue(rejection(verifier(), e, NOW).contains("expired at 2029-12-31T23:59:59Z"));
        TriggerEvent atExpiry = put(hmacSigned(KEY, PAYLOAD, NOW, NONCE), 4);
        assertTrue(rejection(verifier(), atExpiry, NOW).contains("expired"));
    }

    @Test
    void anExpiryFurtherAheadThanMaxValidityIsRejected() {
        TriggerEvent e = put(hmacSigned(KEY, PAYLOAD, NOW.plus(Duration.ofMinutes(16)), NONCE), 3);
        assertTrue(rejection(verifier(), e, NOW).contains("more than the accepted 15m0s ahead"));
        TriggerSignatures hour = TriggerSignatures.builder().hmacKey("ci", SECRET).maxValidity(Duration.ofHours(1)).build();
        assertEquals(PAYLOAD, hour.verify(e, NOW).text());
    }

    @Test
    void aTamperedPayloadIsRejected() {
        String v = new String(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), StandardCharsets.UTF_8).replace("v7", "v8");
        assertTrue(rejection(verifier(), put(v.getBytes(StandardCharsets.UTF_8), 3), NOW).contains("does not verify"));
    }

    @Test
    void aTamperedHeaderFieldIsRejected() {
        String v = new String(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), StandardCharsets.UTF_8)
                .replace("expires=" + IN_5M.getEpochSecond(), "expires=" + (IN_5M.getEpochSecond() + 60));
        assertTrue(rejection(verifier(), put(v.getBytes(StandardCharsets.UTF_8), 3), NOW).contains("does not verify"));
    }

    @Test
    void aSignatureForAnotherEtcdKeyIsRejected() {
        TriggerEvent e = put(hmacSigned("/cicd/undo/trigger", PAYLOAD, IN_5M, NONCE), 3);
        assertTrue(rejection(verifier(), e, NOW).contains("does not verify"));
    }

    @Test
    void aReplayedNonceAtAnotherRevisionIsRejectedNamingTheFirstRevision() {
        TriggerSignatures v = verifier();
        byte[] value = hmacSigned(KEY, PAYLOAD, IN_5M, NONCE);
        v.verify(put(value, 3), NOW);
        String msg = rejection(v, put(value, 9), NOW.plusSeconds(10));
        assertTrue(msg.contains("is a replay: its nonce " + NONCE + " was accepted at revision 3 of " + KEY), msg);
    }

    @Test
    void theSamePutSeenAgainIsNotAReplay() {
        // a restarted pipeline reads the revision again: the same key and revision pass
        TriggerSignatures v = verifier();
        byte[] value = hmacSigned(KEY, PAYLOAD, IN_5M, NONCE);
        v.verify(put(value, 3), NOW);
        assertEquals(PAYLOAD, v.verify(put(value, 3), NOW.plusSeconds(1)).text());
    }

    @Test
    void aReplayAfterTheExpiryIsRejectedAsExpiredAndTheNonceIsForgotten() {
        TriggerSignatures v = TriggerSignatures.builder().hmacKey("ci", SECRET).maxRemembered(1).build();
        v.verify(put(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), 3), NOW);
        assertTrue(rejection(v, put(hmacSigned(KEY, PAYLOAD, IN_5M, "ffeeddccbbaa99887766554433221100"), 4), NOW)
                .contains("cannot be checked for replays: 1 unexpired nonces"));
        assertTrue(rejection(v, put(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), 5), IN_5M).contains("expired"));
        // the first nonce has expired: there is room again
        Instant later = IN_5M.plusSeconds(1);
        assertEquals(PAYLOAD, v.verify(put(hmacSigned(KEY, PAYLOAD, later.plusSeconds(60), "ffeeddccbbaa99887766554433221100"), 6), later).text());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no newline|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1 nonce=00112233445566778899 sig=AAAA|no newline",
        "unknown field|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1 nonce=00112233445566778899 x=1 sig=AAAA\\n{}|unknown field 'x=1'",
        "field twice|cicd-sig-v1 key-id=ci key-id=ci alg=hmac-sha256 expires=1 nonce=00112233445566778899 sig=AAAA\\n{}|key-id twice",
        "sig not last|cicd-sig-v1 key-id=ci alg=hmac-sha256 sig=AAAA expires=1 nonce=00112233445566778899\\n{}|sig= must be the header's last field",
        "no nonce|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1 sig=AAAA\\n{}|no nonce=",
        "short nonce|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1 nonce=abc sig=AAAA\\n{}|nonce= 'abc' is not 16-128",
        "bad expires|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=-1 nonce=00112233445566778899 sig=AAAA\\n{}|expires= '-1' is not Unix seconds",
        "bad base64|cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1 nonce=00112233445566778899 sig=A\\n{}|not standard base64",
        "two spaces|cicd-sig-v1 key-id=ci  alg=hmac-sha256 expires=1 nonce=00112233445566778899 sig=AAAA\\n{}|unknown field ''",
    })
    void aMalformedHeaderIsRejectedSayingWhy(String what, String value, String expected) {
        String msg = rejection(verifier(), put(value.replace("\\n", "\n").getBytes(StandardCharsets.UTF_8), 3), NOW);
        assertTrue(msg.contains("is malformed: ") && msg.contains(expected), what + ": " + msg);
    }

    @Test
    void aCrlfHeaderIsRejected() {
        String v = new String(hmacSigned(KEY, PAYLOAD, IN_5M, NONCE), StandardCharsets.UTF_8).replaceFirst("\n", "\r\n");
        assertTrue(rejection(verifier(), put(v.getBytes(StandardCharsets.UTF_8), 3), NOW).contains("not printable ASCII"));
    }

    @Test
    void theAuthenticPayloadIgnoresExpiryAndNonceButNotTheSignature() {
        TriggerSignatures v = verifier();
        byte[] old = hmacSigned(KEY, PAYLOAD, NOW.minusSeconds(3600), NONCE);
        assertEquals(PAYLOAD, new String(v.authenticPayload(KEY, old).orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(v.authenticPayload("/other", old).isEmpty());
        assertTrue(v.authenticPayload(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8)).isEmpty());
    }

    @Test
    void aSecretFileIsReadLikeShellCatWithoutTrailingNewlines() throws Exception {
        Path f = tmp.resolve("hmac.key");
        Files.writeString(f, new String(SECRET, StandardCharsets.UTF_8) + "\n\n");
        assertArrayEquals(SECRET, TriggerSignatures.readSecret(f));
        Files.writeString(f, "short\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TriggerSignatures.readSecret(f)).getMessage()
                .contains("at least 16"));
    }

    @Test
    void aSignerFromAPemFileIsEd25519AndFromAnyOtherFileHmac() throws Exception {
        Path pem = tmp.resolve("ci.pem");
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(ED.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Signer ed = Signer.fromFile("release", pem, null);
        assertEquals(TriggerSignatures.Alg.ED25519, ed.alg());
        assertEquals(PAYLOAD, verifier().verify(put(TriggerSignatures.sign(KEY, PAYLOAD.getBytes(StandardCharsets.UTF_8), ed, IN_5M), 3), NOW).text());
        Path secret = tmp.resolve("hmac.key");
        Files.writeString(secret, new String(SECRET, StandardCharsets.UTF_8) + "\n");
        assertEquals(TriggerSignatures.Alg.HMAC_SHA256, Signer.fromFile("ci", secret, null).alg());
        assertThrows(IllegalArgumentException.class, () -> Signer.fromFile("ci", pem, TriggerSignatures.Alg.HMAC_SHA256));
    }

    @Test
    void toStringNamesKeyIdsButNoSecret() {
        String s = verifier().toString() + Signer.hmac("ci", SECRET);
        assertTrue(s.contains("ci=hmac-sha256") && s.contains("release=ed25519"), s);
        assertFalse(s.contains(new String(SECRET, StandardCharsets.UTF_8)), s);
    }

    @Test
    void aKeyWithANewlineCannotBeSigned() {
        assertThrows(IllegalArgumentException.class, () -> hmacSigned("/a\nb", PAYLOAD, IN_5M, NONCE));
    }
}
