package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.ByteSequence;
import org.junit.jupiter.api.Test;

class KeyRangeTest {

    @Test
    void prefixWatchCoversTheDirectoryBelowThePrefix() {
        KeyRange r = KeyRange.of(WatchSpec.builder("w").prefix("/cicd/app").template("t").build());
        assertEquals("/cicd/app/", Etcd.text(r.start()));
        assertEquals("/cicd/app0", Etcd.text(r.end()));
    }

    @Test
    void keysWatchCoversFirstToJustAfterLastKey() {
        KeyRange r = KeyRange.of(WatchSpec.builder("w").prefix("/p").key("/b").key("/a").key("/c").template("t").build());
        assertEquals("/p/a", Etcd.text(r.start()));
        assertArrayEquals("/p/c\0".getBytes(), r.end().getBytes());
    }

    @Test
    void singleKeyWatchCoversExactlyThatKey() {
        KeyRange r = KeyRange.of(WatchSpec.builder("w").prefix("/p").key("/trigger").template("t").build());
        assertEquals("/p/trigger", Etcd.text(r.start()));
        assertArrayEquals("/p/trigger\0".getBytes(), r.end().getBytes());
    }

    @Test
    void aKeyEndingInSlashCoversItsSubtreeAndTheRootPrefixAddsNothing() {
        WatchSpec w = WatchSpec.builder("w").prefix("/").key("/upstream").key("/upstream/").key("/key").template("t").build();
        KeyRange r = KeyRange.of(w);
        assertEquals("/key", Etcd.text(r.start()));
        assertEquals("/upstream0", Etcd.text(r.end()));
        org.junit.jupiter.api.Assertions.assertTrue(w.matches("/upstream/app1"));
        org.junit.jupiter.api.Assertions.assertTrue(w.matches("/upstream"));
        org.junit.jupiter.api.Assertions.assertTrue(w.matches("/key"));
        org.junit.jupiter.api.Assertions.assertFalse(w.matches("/upstreamX"), "a subtree, not a string prefix");
        org.junit.jupiter.api.Assertions.assertFalse(w.matches("/key/sub"), "/key names that key only");
        assertEquals("/upstream/app1", w.relativeKey("/upstream/app1"));
    }

    @Test
    void prefixEndIncrementsLastByteAndDropsTrailingFF() {
        assertArrayEquals(new byte[] {'a', 'c'}, Etcd.prefixEnd(ByteSequence.from(new byte[] {'a', 'b'})).getBytes());
        assertArrayEquals(new byte[] {'b'}, Etcd.prefixEnd(ByteSequence.from(new byte[] {'a', (byte) 0xff})).getBytes());
        assertArrayEquals(new byte[] {0}, Etcd.prefixEnd(ByteSequence.from(new byte[] {(byte) 0xff})).getBytes());
    }

    @Test
    void normalizePrefixStripsTrailingSlashAndRejectsRelativeOrRoot() {
        assertEquals("/cicd/.state/g", Etcd.normalizePrefix("/cicd/.state/g/", "p"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Etcd.normalizePrefix("cicd", "p"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Etcd.normalizePrefix("/", "p"));
    }
}
