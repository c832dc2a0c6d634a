package dev.cicd.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Removing a directory tree: the work directories of a pipeline and a runner, the demo's directory. */
public final class FileTrees {

    private static final Logger LOG = LoggerFactory.getLogger(FileTrees.class);

    private FileTrees() {
    }

    /**
     * Deletes {@code dir} and everything below it, as far as it can: a symbolic link is deleted, not
     * followed, and a missing {@code dir} is fine. What cannot be deleted is left, logged at debug level
     * and returned.
     *
     * @return the paths left behind, deepest first; empty when the whole tree is gone
     */
    public static List<Path> deleteTree(Path dir) {
        List<Path> left = new ArrayList<>();
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not list {} to delete it: {}", dir, e.toString());
            return List.of(dir);
        }
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.debug("could not delete {}: {}", p, e.toString());
                left.add(p);
            }
        }
        return List.copyOf(left);
    }
}
