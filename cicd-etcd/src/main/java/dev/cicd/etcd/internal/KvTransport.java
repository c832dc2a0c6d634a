package dev.cicd.etcd.internal;

import java.util.List;
import java.util.Objects;

/**
 * The few etcd calls a short-lived client (a CI job's {@code trigger --wait}) makes: put a value, read or
 * count a prefix, watch a prefix from a revision. Two ways to make them: jetcd's gRPC client
 * ({@link JetcdTransport}) and etcd's v3 JSON gateway over plain HTTP/1.1
 * ({@link dev.cicd.etcd.internal.gateway.GatewayTransport}), which starts in a fraction of the time.
 *
 * <p>Every call blocks for at most the transport's request timeout and throws
 * {@link dev.cicd.core.CicdException} ({@code SOURCE}) naming what it did when etcd fails.
 */
public interface KvTransport extends AutoCloseable {

    /** Puts {@code value} at {@code key}; returns the revision of the put. */
    long put(String key, byte[] value);

    /** The keys under {@code prefix} with their values, and the revision they were read at. */
    Range get(String prefix);

    /** How many keys are under {@code prefix}. */
    long count(String prefix);

    /**
     * Watches the keys under {@code prefix} from {@code fromRevision}: {@code listener} gets each response's
     * puts (on the transport's thread), then at most one {@link WatchListener#ended} when the watch ends
     * for any reason other than {@link Watching#close}.
     */
    Watching watch(String prefix, long fromRevision, WatchListener listener);

    /**
     * Watches the keys under {@code prefix} from now on: returns once etcd confirmed the watch, so every write
     * made after this returns is seen. A watch from a revision at or below etcd's current one waits for etcd's
     * catch-up loop (up to 100 ms) before it delivers anything; a client that watches first and writes after
     * does not.
     *
     * @throws dev.cicd.core.CicdException {@code SOURCE} when etcd does not confirm the watch in time
     */
    Watching watchFromNow(String prefix, WatchListener listener);

    /** Where this transport talks to, for messages. */
    String describe();

    @Override
    void close();

    /** One key and its value (UTF-8). */
    record Kv(String key, String value) {
        public Kv {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** The result of {@link #get}. */
    record Range(List<Kv> kvs, long revision) {
        public Range {
            kvs = List.copyOf(kvs);
        }
    }

    /** Why a watch ended. */
    enum End {
        /** The start revision was compacted: read the current values, then watch from after them. */
        COMPACTED,
        /** The transport was closed. */
        CLOSED,
        /** A failure that watching again from the same revision may get past (etcd restarting, a lost connection). */
        FAILED
    }

    /** What a watch tells. */
    interface WatchListener {
        /** The puts of one watch response, in revision order (deletes are left out). */
        void puts(List<Kv> puts);

        /** The watch ended; {@code cause} says why (never null). */
        void ended(End end, Throwable cause);
    }

    /** A running watch. */
    interface Watching extends AutoCloseable {
        @Override
        void close();
    }
}
