package dev.cicd.core.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keeps the last {@code max} bytes written to it (a ring buffer) and counts all of them. Thread-safe:
 * one thread drains a process's output into it while another reads the text. The buffer grows with the
 * output up to {@code max} bytes, so a quiet process costs no {@code max}-sized allocation.
 */
public final class OutputTail {

    private static final int INITIAL = 8192;

    private final int max;
    /** Shorter than max only while nothing was dropped: then the bytes are at [0, total). */
    private byte[] ring;
    private long total;

    public OutputTail(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be > 0, was " + max);
        }
        this.max = max;
        this.ring = new byte[Math.min(max, INITIAL)];
    }

    public synchronized void write(byte[] b, int off, int len) {
        if (ring.length < max && total + len > ring.length) {
            // still linear: byte i of the stream at ring[i], which is also its ring position once at max
            long need = total + len;
            int cap = (int) Math.min(max, Math.max(need, 2L * ring.length));
            ring = Arrays.copyOf(ring, cap);
        }
        total += len;
        int cap = ring.length;
        if (len >= cap) {
            // only the last cap bytes survive; byte i of the stream lives at ring[i % cap]
            int src = off + len - cap;
            int start = (int) (total % cap);
            System.arraycopy(b, src, ring, start, cap - start);
            System.arraycopy(b, src + cap - start, ring, 0, start);
            return;
        }
        int pos = (int) ((total - len) % cap);
        int first = Math.min(len, cap - pos);
        System.arraycopy(b, off, ring, pos, first);
        if (first < len) {
            System.arraycopy(b, off + first, ring, 0, len - first);
        }
    }

    /** All bytes ever written. */
    public synchronized long total() {
        return total;
    }

    /** The kept bytes as UTF-8, prefixed by a line saying how much was dropped when some was. */
    public synchronized String text() {
        int cap = ring.length;
        if (total <= cap) {
            return new String(ring, 0, (int) total, StandardCharsets.UTF_8);
        }
        int start = (int) (total % cap);
        byte[] out = new byte[cap];
        System.arraycopy(ring, start, out, 0, cap - start);
        System.arraycopy(ring, 0, out, cap - start, start);
        return "[... " + (total - cap) + " earlier bytes of output dropped ...]\n"
                + new String(out, StandardCharsets.UTF_8);
    }

    /** Reads {@code in} to its end into this tail; an I/O error just ends the reading. */
    public void drain(InputStream in) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n > 0) {
                    write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the stream was closed under us (process gone); what we have is the output
        }
    }
}
