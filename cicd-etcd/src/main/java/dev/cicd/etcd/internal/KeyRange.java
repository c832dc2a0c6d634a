package dev.cicd.etcd.internal;

import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.ByteSequence;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The smallest etcd key range [start, end) that covers a watch: the prefix directory for a prefix
 * watch, or [first key, last key + "\0") for a watch that names keys. Keys inside the range that the
 * watch does not name are filtered out with {@link WatchSpec#matches}.
 */
public record KeyRange(ByteSequence start, ByteSequence end) {

    public KeyRange {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
    }

    public static KeyRange of(WatchSpec spec) {
        if (spec.keys().isEmpty()) {
            ByteSequence dir = Etcd.bytes(spec.prefix() + "/");
            return new KeyRange(dir, Etcd.prefixEnd(dir));
        }
        TreeSet<ByteSequenceKey> keys = new TreeSet<>();
        for (String k : spec.fullKeys()) {
            keys.add(new ByteSequenceKey(Etcd.bytes(k)));
        }
        return new KeyRange(keys.first().bytes(), Etcd.justAfter(keys.last().bytes()));
    }

    /** Human-readable form for logs. */
    public String describe() {
        return "[" + Etcd.text(start) + ", " + Etcd.text(end).replace("\0", "\\0") + ")";
    }

    /** Orders byte sequences as etcd does: unsigned lexicographic. */
    private record ByteSequenceKey(ByteSequence bytes) implements Comparable<ByteSequenceKey> {
        @Override
        public int compareTo(ByteSequenceKey o) {
            byte[] a = bytes.getBytes();
            byte[] b = o.bytes.getBytes();
            return java.util.Arrays.compareUnsigned(a, b);
        }
    }
}
