package dev.cicd.core.internal.signature;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 and Ed25519 with the JDK's providers, and the PEM forms openssl writes. */
public final class Crypto {

    private Crypto() {
    }

    public static byte[] hmacSha256(byte[] secret, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e, e);
        }
    }

    /** Constant-time comparison of the HMAC of {@code message} with {@code signature}. */
    public static boolean hmacMatches(byte[] secret, byte[] message, byte[] signature) {
        return MessageDigest.isEqual(hmacSha256(secret, message), signature);
    }

    public static byte[] ed25519Sign(PrivateKey key, byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed: " + e, e);
        }
    }

    public static boolean ed25519Verifies(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (SignatureException e) {
            return false; // e.g. a signature of the wrong length
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 verification failed: " + e, e);
        }
    }

    /** An Ed25519 public key from a PEM {@code PUBLIC KEY} (what {@code openssl pkey -pubout} writes). */
    public static PublicKey ed25519PublicKey(String pem) {
        byte[] der = pem(pem, "PUBLIC KEY");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key (" + e.getMessage() + "); make one with "
                    + "openssl pkey -in KEY.pem -pubout", e);
        }
    }

    /** An Ed25519 private key from a PEM {@code PRIVATE KEY} (what {@code openssl genpkey -algorithm ed25519} writes). */
    public static PrivateKey ed25519PrivateKey(String pem) {
        byte[] der = pem(pem, "PRIVATE KEY");
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 private key (" + e.getMessage() + "); make one with "
                    + "openssl genpkey -algorithm ed25519", e);
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    private static byte[] pem(String text, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new IllegalArgumentException("not a PEM " + label + " (expected " + begin + " ... " + end + ")");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("the PEM " + label + " is not base64: " + ex.getMessage(), ex);
        }
    }

    /**
     * A shared secret as a shell script reads it: the text with its trailing newlines removed, as
     * {@code "$(cat FILE)"} gives it to {@code openssl dgst -hmac}.
     */
    public static byte[] secret(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\n') {
            end--;
        }
        return text.substring(0, end).getBytes(StandardCharsets.UTF_8);
    }
}
