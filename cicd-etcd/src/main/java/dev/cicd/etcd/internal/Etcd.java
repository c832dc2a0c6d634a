package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.ClosedWatcherException;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** Small helpers around jetcd: byte sequences, ranges, blocking waits with clear errors. */
public final class Etcd {

    /** The key {@code "\0"}: with the same range end it means the whole key space. */
    public static final ByteSequence ALL_KEYS = ByteSequence.from(new byte[] {0});

    private Etcd() {
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    public static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    /**
     * The revision a stored key holds (decimal, >= 0): checkpoints, origins.
     *
     * @throws dev.cicd.core.CicdException {@code SOURCE} naming the key and its value when it holds anything else
     */
    public static long revisionIn(io.etcd.jetcd.KeyValue kv) {
        String v = text(kv.getValue()).strip();
        try {
            long rev = Long.parseLong(v);
            if (rev >= 0) {
                return rev;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new dev.cicd.core.CicdException(dev.cicd.core.CicdException.Code.SOURCE, text(kv.getKey()) + " holds '" + v
                + "', not a revision");
    }

    /** The revision the first of {@code kvs} holds ({@link #revisionIn}); empty when there is none. */
    public static java.util.OptionalLong revisionIn(java.util.List<io.etcd.jetcd.KeyValue> kvs) {
        return kvs.isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(revisionIn(kvs.get(0)));
    }

    /** The smallest key greater than every key starting with {@code prefix} (etcd's prefix range end). */
    public static ByteSequence prefixEnd(ByteSequence prefix) {
        return ByteSequence.from(Checks.prefixEnd(prefix.getBytes()));
    }

    /** {@code key + "\0"}: as a range end, makes a range that ends right after {@code key}. */
    public static ByteSequence justAfter(ByteSequence key) {
        byte[] b = key.getBytes();
        return ByteSequence.from(Arrays.copyOf(b, b.length + 1));
    }

    /**
     * Waits for a jetcd future.
     *
     * @throws CicdException {@link CicdException.Code#SOURCE} naming {@code what} on failure or timeout,
     *                       {@link CicdException.Code#INTERRUPTED} (interrupt flag restored) when interrupted
     */
    public static <T> T await(CompletableFuture<T> future, Duration timeout, Supplier<String> what) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw CicdException.interrupted(what.get(), e);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new CicdException(CicdException.Code.SOURCE,
                    what.get() + ": etcd did not answer within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException | CompletionException | CancellationException e) {
            Throwable cause = unwrap(e);
            throw new CicdException(CicdException.Code.SOURCE, what.get() + ": " + describe(cause), cause);
        }
    }

    /** The cause under {@link ExecutionException}/{@link CompletionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException
                || (c instanceof CicdException && c.getCause() != null)) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** A one-line description of an etcd failure. */
    public static String describe(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return m;
    }

    /** Whether the failure says the requested revision was compacted (watch or read). */
    public static boolean isCompacted(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CompactedException) {
                return true;
            }
            if (c instanceof EtcdException e && e.getErrorCode() == ErrorCode.OUT_OF_RANGE
                    && String.valueOf(e.getMessage()).contains("compacted")) {
                return true;
            }
            if (c instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.OUT_OF_RANGE) {
                return true;
            }
            if (String.valueOf(c.getMessage()).contains("required revision has been compacted")) {
                return true;
            }
        }
        return false;
    }

    /** Whether the client (or its watch service) was closed: retrying cannot help. */
    public static boolean isClientClosed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClosedClientException || c instanceof ClosedWatcherException) {
                return true;
            }
            String m = String.valueOf(c.getMessage());
            if (c instanceof IllegalStateException && m.toLowerCase(java.util.Locale.ROOT).contains("closed")) {
                return true;
            }
            if (m.contains("Channel shutdownNow invoked") || m.contains("Channel shutdown invoked")) {
                return true;
            }
            if (c instanceof java.util.concurrent.RejectedExecutionException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a failure is worth retrying: etcd unreachable, no raft leader, a request that timed out.
     * Not: a closed client, refused credentials or permissions, a compacted revision, a missing lease.
     */
    public static boolean isTransient(Throwable t) {
        if (isClientClosed(t) || isCompacted(t) || isLeaseNotFound(t)) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException) {
                return true;
            }
            if (c instanceof EtcdException e) {
                ErrorCode code = e.getErrorCode();
                return code == ErrorCode.UNAVAILABLE || code == ErrorCode.DEADLINE_EXCEEDED
                        || code == ErrorCode.ABORTED || code == ErrorCode.UNKNOWN || code == ErrorCode.INTERNAL;
            }
            if (c instanceof StatusRuntimeException s) {
                Status.Code code = s.getStatus().getCode();
                return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                        || code == Status.Code.ABORTED || code == Status.Code.UNKNOWN || code == Status.Code.INTERNAL;
            }
            if (c instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failure says a lease does not exist (expired or revoked). */
    public static boolean isLeaseNotFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (String.valueOf(c.getMessage()).contains("requested lease not found")) {
                return true;
            }
        }
        return false;
    }

    /** A prefix normalised to start with '/' and carry no trailing '/'. */
    public static String normalizePrefix(String prefix, String what) {
        return Checks.normalizePrefix(prefix, what);
    }
}
