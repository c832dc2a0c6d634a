package dev.cicd.core.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PrestartedShellTest {

    @TempDir
    Path tmp;

    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });

    private PrestartedShell start(Path plan) throws Exception {
        return PrestartedShell.start(List.of("bash", "-eu", "-o", "pipefail", plan.toString()), plan, tmp,
                Map.of("PATH", System.getenv("PATH")), 1 << 16, READERS);
    }

    @Test
    @Timeout(30)
    void aShellWhoseInputEndsBeforeThePlanIsInPlaceRunsNothing() throws Exception {
        Path plan = tmp.resolve("plan.sh");
        Path aside = tmp.resolve(".plan.sh.new");
        Path marker = tmp.resolve("ran");
        PrestartedShell shell = start(plan);
        assertFalse(Files.exists(aside), "nothing is written before the hand-over");
        Thread.sleep(100);
        assertTrue(shell.usable());
        // the plan was written aside, then the JVM "ended" (input closed) before the rename
        Files.writeString(aside, "touch '" + marker + "'\n");
        shell.process().getOutputStream().close();
        assertTrue(shell.process().waitFor(20, TimeUnit.SECONDS));
        assertTrue(shell.process().exitValue() != 0, "fails on the missing script");
        assertFalse(Files.exists(marker), "nothing ran");
        assertFalse(Files.exists(plan));
    }

    @Test
    @Timeout(30)
    void aHandedOverShellRunsThePlanWithTheVariables() throws Exception {
        Path plan = tmp.resolve("plan.sh");
        PrestartedShell shell = start(plan);
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("CICD_A", "it's\n\"two\" lines $HOME");
        vars.put("CICD_B", "");
        assertTrue(shell.handOver("printf '%s|%s|%s' \"$CICD_A\" \"$CICD_B\" \"${BASH_ENV-unset}\"; exit 3\n", vars));
        assertTrue(shell.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(3, shell.process().exitValue());
        shell.drainer().get(20, TimeUnit.SECONDS);
        assertEquals("it's\n\"two\" lines $HOME||unset", shell.tail().text());
        assertFalse(Files.exists(tmp.resolve(".plan.sh.new")), "renamed into place");
        assertTrue(Files.isRegularFile(plan));
    }

    @Test
    @Timeout(30)
    void aShellThatIsGoneCannotBeHandedAPlan() throws Exception {
        Path plan = tmp.resolve("plan.sh");
        PrestartedShell shell = start(plan);
        shell.process().destroyForcibly().waitFor();
        assertFalse(shell.usable());
        assertFalse(shell.handOver("true\n", Map.of("CICD_A", "1")));
        assertFalse(Files.exists(plan), "no plan file left for a caller to mistake as running");
        assertFalse(Files.exists(tmp.resolve(".plan.sh.new")));
    }

    @Test
    void onlyPlainBashCommandsInAnEnvironmentThatKeepsBashEnvQualify() {
        Map<String, String> env = Map.of("PATH", "/usr/bin");
        assertTrue(PrestartedShell.supports(List.of("bash", "-eu", "-o", "pipefail", "{plan}"), env));
        assertTrue(PrestartedShell.supports(List.of("bash", "{plan}"), env));
        assertTrue(PrestartedShell.supports(List.of("bash", "-e", "-u", "-o", "errexit", "{plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("sh", "{plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("/bin/bash", "{plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("bash", "-x", "{plan}"), env), "-x would trace the start-up");
        assertFalse(PrestartedShell.supports(List.of("bash", "-eux", "{plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("bash", "-o", "posix", "{plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("bash", "-c", "source {plan}"), env));
        assertFalse(PrestartedShell.supports(List.of("bash", "{plan}", "arg"), env));
        assertFalse(PrestartedShell.supports(List.of("bash", "-o", "{plan}"), env));
        for (String v : List.of("BASH_ENV", "ENV", "POSIXLY_CORRECT", "SHELLOPTS")) {
            assertFalse(PrestartedShell.supports(List.of("bash", "{plan}"), Map.of(v, "x")), v);
        }
    }

    @Test
    void quotingSurvivesEveryCharacterButNul() {
        assertEquals("'a'\\''b'", PrestartedShell.quote("a'b"));
    }
}
