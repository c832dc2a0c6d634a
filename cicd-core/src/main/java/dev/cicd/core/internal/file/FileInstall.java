package dev.cicd.core.internal.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The steps of installing one file the way an editor saves: a staged copy in the destination's
 * directory (written, given its mode and owner, fsynced), then a rename over the destination, with the
 * previous file kept as a hard link until the caller keeps or restores it.
 *
 * @param dest  the file to install
 * @param mode  its permissions; empty keeps the previous file's (0644 for a new file)
 * @param owner its owner (a user name or numeric uid); empty keeps the runner's
 * @param group its group (a group name or numeric gid); empty keeps the runner's
 */
public record FileInstall(Path dest, Optional<Set<PosixFilePermission>> mode, Optional<String> owner,
        Optional<String> group) {

    private static final Set<PosixFilePermission> NEW_FILE_MODE = java.nio.file.attribute.PosixFilePermissions
            .fromString("rw-r--r--");

    /** Whether {@code dest} exists with exactly these bytes, and the configured mode and owner. */
    public boolean holds(byte[] content) throws IOException {
        if (!Files.isRegularFile(dest, LinkOption.NOFOLLOW_LINKS) || Files.size(dest) != content.length) {
            return false;
        }
        if (!Arrays.equals(Files.readAllBytes(dest), content)) {
            return false;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(dest, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (mode.isPresent() && !view.readAttributes().permissions().equals(mode.get())) {
            return false;
        }
        UserPrincipalLookupService users = dest.getFileSystem().getUserPrincipalLookupService();
        if (owner.isPresent() && !view.readAttributes().owner().equals(user(users, owner.get()))) {
            return false;
        }
        return group.isEmpty() || view.readAttributes().group().equals(group(users, group.get()));
    }

    /** Writes {@code content} to a new file beside {@code dest}, with the mode and owner; returns it. */
    public Path stage(byte[] content) throws IOException {
        Path staged = dest.resolveSibling("." + dest.getFileName() + ".cicd-" + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(staged, PosixFileAttributeView.class);
            Set<PosixFilePermission> perms = mode.orElseGet(this::previousMode);
            view.setPermissions(perms);
            UserPrincipalLookupService users = staged.getFileSystem().getUserPrincipalLookupService();
            if (owner.isPresent()) {
                view.setOwner(user(users, owner.get()));
            }
            if (group.isPresent()) {
                view.setGroup(group(users, group.get()));
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(staged);
            throw e;
        }
        return staged;
    }

    private Set<PosixFilePermission> previousMode() {
        try {
            return Files.isRegularFile(dest) ? Files.getPosixFilePermissions(dest) : NEW_FILE_MODE;
        } catch (IOException e) {
            return NEW_FILE_MODE;
        }
    }

    /**
     * Puts {@code staged} in place of {@code dest} by an atomic rename; the previous file, if any, stays
     * reachable as the returned hard link (for {@link #restore} or {@link #forget}).
     */
    public Optional<Path> swap(Path staged) throws IOException {
        Optional<Path> previous = Optional.empty();
        if (Files.isRegularFile(dest, LinkOption.NOFOLLOW_LINKS)) {
            Path link = dest.resolveSibling("." + dest.getFileName() + ".cicd-previous-" + UUID.randomUUID());
            Files.createLink(link, dest);
            previous = Optional.of(link);
        }
        try {
            move(staged, dest);
        } catch (IOException e) {
            previous.ifPresent(FileInstall::deleteQuietly);
            throw e;
        }
        syncDirectory();
        return previous;
    }

    /** Puts the previous file back (or removes {@code dest} when there was none). */
    public void restore(Optional<Path> previous) throws IOException {
        if (previous.isPresent()) {
            move(previous.get(), dest);
        } else {
            Files.deleteIfExists(dest);
        }
        syncDirectory();
    }

    /** Drops the link to the previous file. */
    public void forget(Optional<Path> previous) {
        previous.ifPresent(FileInstall::deleteQuietly);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING); // same directory: does not happen on Linux
        }
    }

    /** fsync of the directory, so the rename itself survives a crash. */
    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(dest.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // some file systems refuse to sync a directory; the rename is still atomic
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a stray hidden file beside dest; nothing to do about it here
        }
    }

    private static UserPrincipal user(UserPrincipalLookupService users, String name) throws IOException {
        return users.lookupPrincipalByName(name);
    }

    private static GroupPrincipal group(UserPrincipalLookupService users, String name) throws IOException {
        return users.lookupPrincipalByGroupName(name);
    }
}
