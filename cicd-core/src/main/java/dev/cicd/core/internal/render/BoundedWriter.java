package dev.cicd.core.internal.render;

import java.io.IOException;
import java.io.Writer;

/**
 * A render's output buffer with a size cap and a deadline, checked on every write: a template fed a
 * hostile value (a loop over a huge range, a value repeated many times) stops with {@link Exceeded}
 * instead of filling the heap or holding its watch. Work that writes nothing is not bounded by it.
 */
public final class BoundedWriter extends Writer {

    /** The render went past a limit; the message names which. */
    public static final class Exceeded extends IOException {
        Exceeded(String message) {
            super(message);
        }
    }

    private final StringBuilder out;
    private final int maxChars;
    private final long deadlineNanos;
    private final long timeoutMillis;

    public BoundedWriter(int initialCapacity, int maxChars, long timeoutMillis) {
        this.out = new StringBuilder(Math.min(initialCapacity, maxChars));
        this.maxChars = maxChars;
        this.timeoutMillis = timeoutMillis;
        this.deadlineNanos = System.nanoTime() + timeoutMillis * 1_000_000L;
    }

    @Override
    public void write(char[] cbuf, int off, int len) throws IOException {
        check(len);
        out.append(cbuf, off, len);
    }

    @Override
    public void write(String str, int off, int len) throws IOException {
        check(len);
        out.append(str, off, off + len);
    }

    private void check(int len) throws Exceeded {
        if (out.length() + (long) len > maxChars) {
            throw new Exceeded("the rendered plan would exceed " + maxChars + " characters (maxRenderedSize)");
        }
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new Exceeded("rendering took longer than " + timeoutMillis + " ms (renderTimeout)");
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
