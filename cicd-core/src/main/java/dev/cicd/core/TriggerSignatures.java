package dev.cicd.core;

import dev.cicd.core.internal.signature.Crypto;
import dev.cicd.core.internal.signature.ReplayMemory;
import dev.cicd.core.internal.signature.SignedValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Signed trigger values ({@code cicd-sig-v1}): one header line, then the payload bytes.
 *
 * <pre>
 * cicd-sig-v1 key-id=ci alg=hmac-sha256 expires=1767225600 nonce=4f0c...e1 sig=BASE64
 * {"action":"deploy",...}
 * </pre>
 *
 * The signature (HMAC-SHA256 with a shared secret, or Ed25519) covers the header up to, not including,
 * {@code " sig="}, a newline, the etcd key, a newline and the payload bytes. A shell script can make one
 * with {@code openssl} (see the README's "Signed triggers").
 *
 * <p>An instance is the verifier of one watch: the keys it trusts by key id, the longest validity it
 * accepts, and the memory of the nonces it accepted (a nonce used by another put is a replay). The static
 * {@link #sign} methods are the signing side.
 */
public final class TriggerSignatures {

    /** Default {@link #maxValidity()}: a signature may expire at most 15 minutes ahead. */
    public static final Duration DEFAULT_MAX_VALIDITY = Duration.ofMinutes(15);
    /** How many unexpired nonces a verifier remembers; beyond that new values are rejected (fail closed). */
    public static final int MAX_REMEMBERED_NONCES = 100_000;
    /** The shortest shared secret accepted, in bytes. */
    public static final int MIN_SECRET_BYTES = 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The signature algorithms. */
    public enum Alg {
        HMAC_SHA256("hmac-sha256"),
        ED25519("ed25519");

        private final String label;

        Alg(String label) {
            this.label = label;
        }

        /** {@code hmac-sha256} or {@code ed25519}: the header's {@code alg=}. */
        public String label() {
            return label;
        }

        /** {@code hmac-sha256} or {@code ed25519}, any case. */
        public static Alg parse(String s) {
            for (Alg a : values()) {
                if (a.label.equalsIgnoreCase(s == null ? "" : s.strip())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("alg must be hmac-sha256 or ed25519, was '" + s + "'");
        }
    }

    private record Key(Alg alg, byte[] secret, PublicKey publicKey) {
    }

    private final Map<String, Key> keys;
    private final Duration maxValidity;
    private final ReplayMemory replays;

    private TriggerSignatures(Builder b) {
        if (b.keys.isEmpty()) {
            throw new IllegalArgumentException("a signature verifier needs at least one key");
        }
        this.keys = Map.copyOf(b.keys);
        this.maxValidity = b.maxValidity;
        this.replays = new ReplayMemory(b.maxRemembered);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The key ids this verifier trusts. */
    public Set<String> keyIds() {
        return keys.keySet();
    }

    /** How far ahead a signature may expire. */
    public Duration maxValidity() {
        return maxValidity;
    }

    /**
     * Verifies a value put to a watched key and returns the event carrying the payload (the value
     * without its header), with the same key, type and revisions.
     *
     * @param now the time the signature must be valid at
     * @throws CicdException {@link CicdException.Code#BAD_PAYLOAD} when the value is not signed, malformed,
     *                       signed with an unknown key id or another algorithm than the key's, the signature
     *                       does not verify, it expired, it expires more than {@link #maxValidity()} ahead, or
     *                       its nonce was accepted before for another put; the message says which
     */
    public TriggerEvent verify(TriggerEvent event, Instant now) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(now, "now");
        String where = event.key() + " at revision " + event.modRevision();
        SignedValue v = authentic(event.key(), event.value(), where);
        long nowSeconds = now.getEpochSecond();
        if (nowSeconds >= v.expires()) {
            throw rejected("the signature of " + where + " expired at " + Instant.ofEpochSecond(v.expires())
                    + " (now " + Instant.ofEpochSecond(nowSeconds) + ")");
        }
        if (v.expires() - nowSeconds > maxValidity.toSeconds()) {
            throw rejected("the signature of " + where + " expires at " + Instant.ofEpochSecond(v.expires())
                    + ", more than the accepted " + Durations.format(maxValidity) + " ahead (now "
                    + Instant.ofEpochSecond(nowSeconds) + "; watches[].verify.maxValidity)");
        }
        ReplayMemory.Result r = replays.accept(v.nonce(), event.key(), event.modRevision(), v.expires(), nowSeconds);
        if (r instanceof ReplayMemory.Replayed rep) {
            throw rejected("the value of " + where + " is a replay: its nonce " + v.nonce() + " was accepted at revision "
                    + rep.first().revision() + " of " + rep.first().key());
        }
        if (r instanceof ReplayMemory.Full full) {
            throw rejected("the signature of " + where + " cannot be checked for replays: " + full.capacity()
                    + " unexpired nonces are remembered already; put it again later");
        }
        return new TriggerEvent(event.watch(), event.key(), v.payload(), event.type(), event.modRevision(),
                event.createRevision(), event.version());
    }

    /**
     * The payload of a value whose signature verifies for {@code key}, ignoring its expiry and nonce (what
     * {@code getv} of a signed watch reads); empty when it does not verify.
     */
    public Optional<byte[]> authenticPayload(String key, byte[] value) {
        try {
            return Optional.of(authentic(key, value, key).payload());
        } catch (CicdException e) {
            return Optional.empty();
        }
    }

    private SignedValue authentic(String key, byte[] value, String where) {
        if (key.indexOf('\n') >= 0) {
            throw rejected("the key " + key.replace("\n", "\\n") + " has a newline: it cannot be signed");
        }
        if (!SignedValue.looksSigned(value)) {
            throw rejected("the value of " + where + " is not signed: this watch requires a '" + SignedValue.MAGIC
                    + " key-id=... sig=...' header line (watches[].verify)");
        }
        SignedValue v;
        try {
            v = SignedValue.parse(value);
        } catch (SignedValue.Malformed m) {
            throw rejected("the signature header of " + where + " is malformed: " + m.getMessage());
        }
        Key k = keys.get(v.keyId());
        if (k == null) {
            throw rejected("the value of " + where + " is signed with key id '" + v.keyId() + "', which this watch does "
                    + "not know (it knows " + String.join(", ", keys.keySet().stream().sorted().toList()) + ")");
        }
        if (!k.alg().label().equals(v.alg())) {
            throw rejected("the value of " + where + " says alg=" + v.alg() + ", but key id '" + v.keyId() + "' is an "
                    + k.alg().label() + " key");
        }
        byte[] message = v.message(key);
        boolean ok = k.alg() == Alg.HMAC_SHA256
                ? Crypto.hmacMatches(k.secret(), message, v.signature())
                : Crypto.ed25519Verifies(k.publicKey(), message, v.signature());
        if (!ok) {
            throw rejected("the signature of " + where + " does not verify with key id '" + v.keyId() + "' (a wrong key, "
                    + "or a value signed for another key, or changed after signing)");
        }
        return v;
    }

    private static CicdException rejected(String message) {
        return new CicdException(CicdException.Code.BAD_PAYLOAD, "signature rejected: " + message);
    }

    /**
     * Signs a payload for an etcd key with a fresh random nonce.
     *
     * @return the value to put: header line, newline, payload
     */
    public static byte[] sign(String etcdKey, byte[] payload, Signer signer, Instant expires) {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        return sign(etcdKey, payload, signer, expires, HexFormat.of().formatHex(n));
    }

    /** Signs a payload for an etcd key with the given nonce (16-128 characters of {@code [A-Za-z0-9_-]}). */
    public static byte[] sign(String etcdKey, byte[] payload, Signer signer, Instant expires, String nonce) {
        Objects.requireNonNull(etcdKey, "etcdKey");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(expires, "expires");
        if (etcdKey.isEmpty() || etcdKey.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("the etcd key must be non-empty and have no newline, was '" + etcdKey + "'");
        }
        if (nonce == null || !SignedValue.NONCE.matcher(nonce).matches()) {
            throw new IllegalArgumentException("the nonce must be 16-128 characters of [A-Za-z0-9_-], was '" + nonce + "'");
        }
        String header = SignedValue.unsignedHeader(signer.keyId, signer.alg.label(), expires.getEpochSecond(), nonce);
        byte[] message = SignedValue.message(header.getBytes(StandardCharsets.US_ASCII), etcdKey, payload);
        byte[] sig = signer.alg == Alg.HMAC_SHA256 ? Crypto.hmacSha256(signer.secret, message)
                : Crypto.ed25519Sign(signer.privateKey, message);
        return SignedValue.value(header, sig, payload);
    }

    /** Whether a value starts with a {@code cicd-sig-v1} header (says nothing about its validity). */
    public static boolean looksSigned(byte[] value) {
        return SignedValue.looksSigned(value);
    }

    /**
     * A shared secret from a file: its text without trailing newlines (what {@code "$(cat FILE)"} passes
     * to {@code openssl dgst -hmac}).
     */
    public static byte[] readSecret(Path file) throws IOException {
        return checkSecret(Crypto.secret(Files.readString(file)), file.toString());
    }

    /** A shared secret from text (e.g. an environment variable), trailing newlines removed. */
    public static byte[] secret(String text, String what) {
        return checkSecret(Crypto.secret(text), what);
    }

    private static byte[] checkSecret(byte[] s, String what) {
        if (s.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the shared secret in " + what + " has " + s.length + " bytes; at least "
                    + MIN_SECRET_BYTES + " are required (e.g. openssl rand -hex 32)");
        }
        return s;
    }

    /** An Ed25519 public key from a PEM file ({@code openssl pkey -in KEY.pem -pubout}). */
    public static PublicKey readEd25519PublicKey(Path file) throws IOException {
        return Crypto.ed25519PublicKey(Files.readString(file, StandardCharsets.US_ASCII));
    }

    /** The signing side: a key id with its shared secret or Ed25519 private key. */
    public static final class Signer {
        private final String keyId;
        private final Alg alg;
        private final byte[] secret;
        private final PrivateKey privateKey;

        private Signer(String keyId, Alg alg, byte[] secret, PrivateKey privateKey) {
            if (keyId == null || !SignedValue.KEY_ID.matcher(keyId).matches()) {
                throw new IllegalArgumentException("key id must be 1-64 characters of [A-Za-z0-9._-], was '" + keyId + "'");
            }
            this.keyId = keyId;
            this.alg = alg;
            this.secret = secret;
            this.privateKey = privateKey;
        }

        /** HMAC-SHA256 with a shared secret (at least 16 bytes). */
        public static Signer hmac(String keyId, byte[] secret) {
            return new Signer(keyId, Alg.HMAC_SHA256, checkSecret(secret.clone(), "the signer of " + keyId), null);
        }

        /** Ed25519 with a private key. */
        public static Signer ed25519(String keyId, PrivateKey key) {
            return new Signer(keyId, Alg.ED25519, null, Objects.requireNonNull(key, "key"));
        }

        /**
         * A signer from a key file: a PEM {@code PRIVATE KEY} ({@code openssl genpkey -algorithm ed25519})
         * for Ed25519, otherwise a shared secret (text, trailing newlines removed).
         *
         * @param alg the algorithm, or null to tell it from the file (PEM: ed25519, else hmac-sha256)
         * @throws IllegalArgumentException when the file does not hold a key of that algorithm
         */
        public static Signer fromFile(String keyId, Path file, Alg alg) throws IOException {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            boolean pem = text.stripLeading().startsWith("-----BEGIN");
            Alg a = alg != null ? alg : pem ? Alg.ED25519 : Alg.HMAC_SHA256;
            if (a == Alg.ED25519) {
                try {
                    return ed25519(keyId, Crypto.ed25519PrivateKey(text));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
                }
            }
            if (pem) {
                throw new IllegalArgumentException(file + " is a PEM file, not a shared secret for hmac-sha256");
            }
            return hmac(keyId, checkSecret(Crypto.secret(text), file.toString()));
        }

        public String keyId() {
            return keyId;
        }

        public Alg alg() {
            return alg;
        }

        @Override
        public String toString() {
            return "Signer[keyId=" + keyId + ", alg=" + alg.label() + "]";
        }
    }

    @Override
    public String toString() {
        Map<String, String> ids = new LinkedHashMap<>();
        keys.keySet().stream().sorted().forEach(id -> ids.put(id, keys.get(id).alg().label()));
        return "TriggerSignatures[keys=" + ids + ", maxValidity=" + Durations.format(maxValidity) + "]";
    }

    /** The keys a watch trusts and the longest validity it accepts. */
    public static final class Builder {
        private final Map<String, Key> keys = new LinkedHashMap<>();
        private Duration maxValidity = DEFAULT_MAX_VALIDITY;
        private int maxRemembered = MAX_REMEMBERED_NONCES;

        private Builder() {
        }

        /** Trusts HMAC-SHA256 signatures made with {@code secret} (at least 16 bytes) under {@code keyId}. */
        public Builder hmacKey(String keyId, byte[] secret) {
            return add(keyId, new Key(Alg.HMAC_SHA256, checkSecret(secret.clone(), "key id " + keyId), null));
        }

        /** Trusts Ed25519 signatures verified by {@code key} under {@code keyId}. */
        public Builder ed25519Key(String keyId, PublicKey key) {
            Objects.requireNonNull(key, "key");
            if (!"Ed25519".equalsIgnoreCase(key.getAlgorithm()) && !"EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
                throw new IllegalArgumentException("key id " + keyId + ": not an Ed25519 key: " + key.getAlgorithm());
            }
            return add(keyId, new Key(Alg.ED25519, null, key));
        }

        private Builder add(String keyId, Key key) {
            if (keyId == null || !SignedValue.KEY_ID.matcher(keyId).matches()) {
                throw new IllegalArgumentException("key id must be 1-64 characters of [A-Za-z0-9._-], was '" + keyId + "'");
            }
            if (keys.putIfAbsent(keyId, key) != null) {
                throw new IllegalArgumentException("key id " + keyId + " is given twice");
            }
            return this;
        }

        /** How far ahead a signature may expire (default 15 minutes); whole seconds, at least one. */
        public Builder maxValidity(Duration maxValidity) {
            Objects.requireNonNull(maxValidity, "maxValidity");
            if (maxValidity.toSeconds() < 1) {
                throw new IllegalArgumentException("maxValidity must be at least 1s, was " + maxValidity);
            }
            this.maxValidity = maxValidity;
            return this;
        }

        /** How many unexpired nonces to remember (default {@link #MAX_REMEMBERED_NONCES}); for tests. */
        public Builder maxRemembered(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxRemembered must be >= 1, was " + n);
            }
            this.maxRemembered = n;
            return this;
        }

        public TriggerSignatures build() {
            return new TriggerSignatures(this);
        }
    }
}
