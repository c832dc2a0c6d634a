package dev.cicd.testkit.internal.etcd;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Small file helpers for fixtures. */
final class FileUtil {

    private static final int TAIL_BYTES = 16 * 1024;

    private FileUtil() {
    }

    /** The last {@code lines} lines of a text, or "" for an empty text. */
    static String lastLines(String text, int lines) {
        List<String> all = Arrays.asList(text.split("\\R"));
        int from = Math.max(0, all.size() - lines);
        return String.join(System.lineSeparator(), all.subList(from, all.size()));
    }

    /** The last {@code lines} lines of a file (reading at most its last 16 KiB). */
    static String tail(Path file, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            long from = Math.max(0, length - TAIL_BYTES);
            byte[] bytes = new byte[(int) (length - from)];
            raf.seek(from);
            raf.readFully(bytes);
            return lastLines(new String(bytes, StandardCharsets.UTF_8), lines);
        } catch (IOException e) {
            return "(log " + file + " not readable: " + e.getMessage() + ")";
        }
    }
}
