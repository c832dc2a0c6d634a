package dev.cicd.core.internal.signature;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The nonces of accepted signed values, each kept until its expiry (after which the value is rejected as
 * expired anyway). Bounded: when full of unexpired nonces, new values are refused rather than a nonce
 * forgotten early. Thread-safe.
 */
public final class ReplayMemory {

    /** Where a nonce was first accepted. */
    public record Use(String key, long revision, long expires) {
    }

    private final int capacity;
    private final Map<String, Use> byNonce = new HashMap<>();
    private final PriorityQueue<Map.Entry<Long, String>> byExpiry = new PriorityQueue<>(Map.Entry.comparingByKey());

    public ReplayMemory(int capacity) {
        this.capacity = capacity;
    }

    /** The result of {@link #accept}. */
    public sealed interface Result {
    }

    /** Accepted: a new nonce, or the same put seen again (same key and revision, e.g. after a pipeline restart). */
    public record Accepted() implements Result {
    }

    /** The nonce was accepted before for another put. */
    public record Replayed(Use first) implements Result {
    }

    /** Too many unexpired nonces remembered. */
    public record Full(int capacity) implements Result {
    }

    /** Remembers {@code nonce} for the put of {@code key} at {@code revision}, unless another put used it. */
    public synchronized Result accept(String nonce, String key, long revision, long expires, long nowSeconds) {
        while (!byExpiry.isEmpty() && byExpiry.peek().getKey() <= nowSeconds) {
            Map.Entry<Long, String> old = byExpiry.poll();
            Use u = byNonce.get(old.getValue());
            if (u != null && u.expires() <= nowSeconds) {
                byNonce.remove(old.getValue());
            }
        }
        Use seen = byNonce.get(nonce);
        if (seen != null) {
            return seen.key().equals(key) && seen.revision() == revision ? new Accepted() : new Replayed(seen);
        }
        if (byNonce.size() >= capacity) {
            return new Full(capacity);
        }
        byNonce.put(nonce, new Use(key, revision, expires));
        byExpiry.add(Map.entry(expires, nonce));
        return new Accepted();
    }

    public synchronized int size() {
        return byNonce.size();
    }
}
