package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {

    @TempDir
    Path dir;

    @Test
    void deletesTheWholeTreeAndDeletesSymbolicLinksWithoutFollowingThem() throws IOException {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "keep me");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.writeString(tree.resolve("plan.sh"), "echo hi\n");
        Files.writeString(dir.resolve("tree/a/log.txt"), "x");
        Files.createSymbolicLink(dir.resolve("tree/a/link"), outside);
        Files.createSymbolicLink(dir.resolve("tree/dirlink"), dir);

        assertEquals(List.of(), FileTrees.deleteTree(dir.resolve("tree")));
        assertFalse(Files.exists(dir.resolve("tree")));
        assertEquals("keep me", Files.readString(outside));
    }

    @Test
    void aMissingDirectoryIsNothingToDelete() {
        assertEquals(List.of(), FileTrees.deleteTree(dir.resolve("missing")));
        assertTrue(Files.isDirectory(dir));
    }
}
