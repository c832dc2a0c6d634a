package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file action: atomic install, confd's in-sync compare, check refuses, reload failure restores. */
class FileActionTest {

    @TempDir
    Path dir;

    private long revision;

    private Plan plan(String text) {
        return new Plan(TriggerEvent.put("w", "/app/upstream", "x", ++revision), text, "0".repeat(64));
    }

    private ActionContext context() {
        return new ActionContext(WatchSpec.builder("w").prefix("/app").key("/upstream").template("t").action("file")
                .build(), Duration.ofSeconds(10), dir);
    }

    private Path dest() {
        return dir.resolve("nginx.conf");
    }

    /** Files other than dest left in its directory (staged copies, links to the previous file). */
    private List<Path> strays() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.equals(dest()) && !p.getFileName().toString().startsWith("log")).toList();
        }
    }

    @Test
    void writesTheRenderedPlanToDestWithItsModeAndLeavesNothingBeside() throws Exception {
        FileAction a = FileAction.builder().dest(dest()).mode("0640").build();
        ActionResult r = a.execute(plan("server 10.0.0.1;\n"), context());
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
        assertEquals("server 10.0.0.1;\n", Files.readString(dest()));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(dest()));
        assertEquals(List.of(), strays());
        assertEquals(Set.of(dest().toString()), a.targets(plan("x")), "the target is the file");
        assertTrue(a.comparesLiveState(), "in sync is judged against the file, not the last plan");
    }

    @Test
    void aDestThatAlreadyHoldsTheRenderIsInSyncAndAFileChangedByHandIsPutRight() throws Exception {
        Path marker = dir.resolve("reloads");
        FileAction a = FileAction.builder().dest(dest()).reloadCommand("echo r >> " + marker).build();
        assertEquals(Outcome.Kind.APPLIED, a.execute(plan("a\n"), context()).kind());
        assertEquals(Outcome.Kind.IN_SYNC, a.execute(plan("a\n"), context()).kind());
        Files.writeString(dest(), "edited by hand\n");
        assertEquals(Outcome.Kind.APPLIED, a.execute(plan("a\n"), context()).kind());
        assertEquals("a\n", Files.readString(dest()));
        assertEquals(List.of("r", "r"), Files.readAllLines(marker), "reloaded only when the file changed");
    }

    @Test
    void aFailingCheckCommandLeavesTheOldFileAndSeesTheStagedOne() throws Exception {
        Files.writeString(dest(), "old\n");
        Path seen = dir.resolve("seen");
        FileAction a = FileAction.builder().dest(dest())
                .checkCommand("cat {{.src}} > " + seen + "; grep -q valid {{.src}}").build();
        ActionResult bad = a.execute(plan("broken\n"), context());
        assertEquals(Outcome.Kind.FAILED, bad.kind());
        assertTrue(bad.reason().contains("checkCommand failed with exit code 1"), bad.reason());
        assertEquals("old\n", Files.readString(dest()));
        assertEquals("broken\n", Files.readString(seen), "the check read the staged file");
        Files.delete(seen);
        assertEquals(List.of(), strays());
        assertEquals(Outcome.Kind.APPLIED, a.execute(plan("valid\n"), context()).kind());
        assertEquals("valid\n", Files.readString(dest()));
    }

    @Test
    void aFailingReloadRestoresThePreviousFileAndTheSameValueIsTriedAgain() throws Exception {
        Files.writeString(dest(), "old\n");
        Path flag = dir.resolve("reload-fails");
        Files.writeString(flag, "");
        FileAction a = FileAction.builder().dest(dest()).reloadCommand("test ! -e " + flag + " || { echo reload broke; exit 7; }")
                .build();
        ActionResult r = a.execute(plan("new\n"), context());
        assertEquals(Outcome.Kind.FAILED, r.kind());
        assertEquals(7, r.exitCode().getAsInt());
        assertTrue(r.reason().contains("reloadCommand failed with exit code 7") && r.reason().contains("restored"),
                r.reason());
        assertTrue(r.output().contains("reload broke"), r.output());
        assertEquals("old\n", Files.readString(dest()), "the previous file is back");

        Files.delete(flag);
        assertEquals(Outcome.Kind.APPLIED, a.execute(plan("new\n"), context()).kind(), "the same value is tried again");
        assertEquals("new\n", Files.readString(dest()));
        assertEquals(List.of(), strays());
    }

    @Test
    void aFailingReloadOfAFirstFileRemovesIt() throws Exception {
        FileAction a = FileAction.builder().dest(dest()).reloadCommand("exit 1").build();
        assertEquals(Outcome.Kind.FAILED, a.execute(plan("new\n"), context()).kind());
        assertFalse(Files.exists(dest()));
    }

    @Test
    void commandsSeeOnlyTheAllowedEnvironmentAndTheEventsVariables() throws Exception {
        Path env = dir.resolve("env");
        FileAction a = FileAction.builder().dest(dest()).reloadCommand("env > " + env).build();
        a.execute(plan("x\n"), context());
        String seen = Files.readString(env);
        assertTrue(seen.contains("CICD_DEST=" + dest()), seen);
        assertTrue(seen.contains("CICD_REVISION="), seen);
        assertFalse(seen.lines().anyMatch(l -> l.startsWith("MAVEN") || l.startsWith("JAVA_HOME=")), seen);
    }

    @Test
    void badSettingsNameTheFieldAndValue() {
        assertEquals("dest: must be an absolute path, was 'rel/x.conf'", assertThrows(IllegalArgumentException.class,
                () -> FileAction.builder().dest(Path.of("rel/x.conf"))).getMessage());
        assertEquals("mode: must be three octal digits like 0644, was '0999'", assertThrows(IllegalArgumentException.class,
                () -> FileAction.builder().mode("0999")).getMessage());
        assertEquals("dest: is required", assertThrows(IllegalArgumentException.class,
                () -> FileAction.builder().build()).getMessage());
    }
}
