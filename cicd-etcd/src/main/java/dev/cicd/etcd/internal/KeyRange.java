package dev.cicd.etcd.internal;

import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.ByteSequence;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The smallest etcd key range [start, end) that covers a watch: the prefix directory for a prefix
 * watch, or [first key, last key + "\0") for a watch that names keys (past the end of the subtree of a
 * key ending in '/'). Keys inside the range that the
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
        TreeSet<ByteSequenceKey> starts = new TreeSet<>();
        TreeSet<ByteSequenceKey> ends = new TreeSet<>();
        for (String k : spec.fullKeys()) {
            ByteSequence b = Etcd.bytes(k);
            starts.add(new ByteSequenceKey(b));
            // a key ending in '/' names its subtree
            ends.add(new ByteSequenceKey(k.endsWith("/") ? Etcd.prefixEnd(b) : Etcd.justAfter(b)));
        }
        return new KeyRange(starts.first().bytes(), ends.last().bytes());
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
