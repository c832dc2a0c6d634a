package dev.cicd.core.internal.signature;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A value in the {@code cicd-sig-v1} format: one header line, then the payload bytes.
 *
 * <pre>
 * cicd-sig-v1 key-id=ID alg=hmac-sha256|ed25519 expires=UNIX_SECONDS nonce=RANDOM sig=BASE64\n
 * PAYLOAD BYTES
 * </pre>
 *
 * The signed message is the header up to (not including) {@code " sig="}, a newline, the etcd key, a
 * newline, and the payload bytes: every header field but the signature itself is covered, byte for byte.
 */
public final class SignedValue {

    public static final String MAGIC = "cicd-sig-v1";
    /** The longest header line accepted (without its newline). */
    public static final int MAX_HEADER = 1024;
    public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    public static final Pattern NONCE = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final Pattern EXPIRES = Pattern.compile("[0-9]{1,12}");
    private static final Pattern SIG = Pattern.compile("[A-Za-z0-9+/]+={0,2}");
    private static final List<String> FIELDS = List.of("key-id", "alg", "expires", "nonce", "sig");
    private static final byte[] MAGIC_SPACE = (MAGIC + " ").getBytes(StandardCharsets.US_ASCII);

    /** A value that does not parse as a signed value; the message says why. */
    public static final class Malformed extends Exception {
        public Malformed(String message) {
            super(message);
        }
    }

    private final String keyId;
    private final String alg;
    private final String expires;
    private final String nonce;
    private final byte[] signature;
    private final byte[] signedHeader;
    private final byte[] payload;

    private SignedValue(String keyId, String alg, String expires, String nonce, byte[] signature, byte[] signedHeader,
            byte[] payload) {
        this.keyId = keyId;
        this.alg = alg;
        this.expires = expires;
        this.nonce = nonce;
        this.signature = signature;
        this.signedHeader = signedHeader;
        this.payload = payload;
    }

    /** Whether the value starts like a signed value ({@code "cicd-sig-v1 "}). */
    public static boolean looksSigned(byte[] value) {
        return value.length >= MAGIC_SPACE.length
                && Arrays.equals(value, 0, MAGIC_SPACE.length, MAGIC_SPACE, 0, MAGIC_SPACE.length);
    }

    /**
     * Parses a value.
     *
     * @throws Malformed when it is not a well-formed {@code cicd-sig-v1} value
     */
    public static SignedValue parse(byte[] value) throws Malformed {
        if (!looksSigned(value)) {
            throw new Malformed("it does not start with a '" + MAGIC + " ' header line");
        }
        int nl = -1;
        for (int i = 0; i < value.length && i <= MAX_HEADER; i++) {
            if (value[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new Malformed("its header line has no newline within " + MAX_HEADER + " bytes");
        }
        String header = new String(value, 0, nl, StandardCharsets.US_ASCII);
        for (int i = 0; i < nl; i++) {
            if (value[i] < 0x20 || value[i] > 0x7e) {
                throw new Malformed("its header line has a byte that is not printable ASCII at position " + i);
            }
        }
        String[] parts = header.substring(MAGIC.length() + 1).split(" ", -1);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String p : parts) {
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            if (eq < 0 || !FIELDS.contains(name)) {
                throw new Malformed("its header has an unknown field '" + abbreviate(p) + "' (fields: key-id, alg, "
                        + "expires, nonce, sig, separated by one space)");
            }
            if (fields.put(name, p.substring(eq + 1)) != null) {
                throw new Malformed("its header has the field " + name + " twice");
            }
        }
        for (String f : FIELDS) {
            if (!fields.containsKey(f)) {
                throw new Malformed("its header has no " + f + "=");
            }
        }
        if (!parts[parts.length - 1].startsWith("sig=")) {
            throw new Malformed("sig= must be the header's last field");
        }
        String keyId = check(fields, "key-id", KEY_ID, "1-64 characters of [A-Za-z0-9._-]");
        String alg = fields.get("alg");
        String expires = check(fields, "expires", EXPIRES, "Unix seconds");
        String nonce = check(fields, "nonce", NONCE, "16-128 characters of [A-Za-z0-9_-], e.g. openssl rand -hex 16");
        String sig = check(fields, "sig", SIG, "standard base64");
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(sig);
        } catch (IllegalArgumentException e) {
            throw new Malformed("its sig= is not standard base64: " + e.getMessage());
        }
        int sigAt = header.lastIndexOf(" sig=");
        byte[] signedHeader = Arrays.copyOfRange(value, 0, sigAt);
        byte[] payload = Arrays.copyOfRange(value, nl + 1, value.length);
        return new SignedValue(keyId, alg, expires, nonce, signature, signedHeader, payload);
    }

    private static String check(Map<String, String> fields, String name, Pattern p, String what) throws Malformed {
        String v = fields.get(name);
        if (!p.matcher(v).matches()) {
            throw new Malformed("its " + name + "= '" + abbreviate(v) + "' is not " + what);
        }
        return v;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** The header without {@code sig=}: {@code cicd-sig-v1 key-id=ID alg=ALG expires=N nonce=NONCE}. */
    public static String unsignedHeader(String keyId, String alg, long expires, String nonce) {
        return MAGIC + " key-id=" + keyId + " alg=" + alg + " expires=" + expires + " nonce=" + nonce;
    }

    /** The signed message: the header without {@code sig=}, newline, the etcd key, newline, the payload. */
    public static byte[] message(byte[] unsignedHeader, String etcdKey, byte[] payload) {
        byte[] key = etcdKey.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[unsignedHeader.length + 1 + key.length + 1 + payload.length];
        int at = 0;
        System.arraycopy(unsignedHeader, 0, out, at, unsignedHeader.length);
        at += unsignedHeader.length;
        out[at++] = '\n';
        System.arraycopy(key, 0, out, at, key.length);
        at += key.length;
        out[at++] = '\n';
        System.arraycopy(payload, 0, out, at, payload.length);
        return out;
    }

    /** The full value: the header with {@code sig=}, newline, the payload. */
    public static byte[] value(String unsignedHeader, byte[] signature, byte[] payload) {
        byte[] head = (unsignedHeader + " sig=" + Base64.getEncoder().encodeToString(signature) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    /** This value's signed message for {@code etcdKey}. */
    public byte[] message(String etcdKey) {
        return message(signedHeader, etcdKey, payload);
    }

    public String keyId() {
        return keyId;
    }

    public String alg() {
        return alg;
    }

    /** Unix seconds. */
    public long expires() {
        return Long.parseLong(expires);
    }

    public String nonce() {
        return nonce;
    }

    public byte[] signature() {
        return signature.clone();
    }

    public byte[] payload() {
        return payload.clone();
    }
}
