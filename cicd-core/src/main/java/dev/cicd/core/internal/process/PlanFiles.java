package dev.cicd.core.internal.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Writes plan files for shell actions. */
public final class PlanFiles {

    private static final Set<OpenOption> CREATE_NEW_WRITE = Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private PlanFiles() {
    }

    /**
     * Writes the plan into a new file {@code <prefix><random>.sh} readable by the owner only, like
     * {@link Files#createTempFile}, but created and written through one descriptor opened with
     * {@code O_CREAT|O_EXCL} and no {@code O_TRUNC}: on ext4 a close after a truncating open starts
     * write-back of the file (the {@code auto_da_alloc} heuristic), which costs milliseconds before
     * every script start on a busy disk.
     */
    public static Path write(Path dir, String prefix, String text) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        FileAttribute<?>[] attrs = ownerOnly(dir);
        for (int attempt = 1; ; attempt++) {
            Path file = dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".sh");
            SeekableByteChannel ch;
            try {
                ch = Files.newByteChannel(file, CREATE_NEW_WRITE, attrs);
            } catch (FileAlreadyExistsException e) {
                if (attempt < 100) {
                    continue;
                }
                throw e;
            }
            try (ch) {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return file;
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {OWNER_ONLY} : new FileAttribute<?>[0];
    }
}
