package dev.cicd.core.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PrestartedShellTest {

    @TempDir
    Path tmp;

    private PrestartedShell start(Path plan) throws Exception {
        return PrestartedShell.start(List.of("bash", "-eu", "-o", "pipefail", plan.toString()), plan, tmp,
                Map.of("PATH", System.getenv("PATH")));
    }

    @Test
    @Timeout(30)
    void aShellWhoseInputEndsBeforeThePlanIsInPlaceRunsNothing() throws Exception {
        Path plan = tmp.resolve("plan.sh");
        Path marker = tmp.resolve("ran");
        PrestartedShell shell = start(plan);
        Thread.sleep(100);
        assertTrue(shell.usable());
        // the variables were sent, then the JVM "ended" (input closed) before the plan was renamed in
        shell.send(Map.of("CICD_X", "1"));
        shell.release();
        assertTrue(shell.process().waitFor(20, TimeUnit.SECONDS));
        Files.writeString(plan, "touch '" + marker + "'\n");
        assertTrue(shell.process().exitValue() != 0, "fails on the missing script");
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    @Timeout(30)
    void theShellRunsThePlanWithTheVariablesOnceReleased() throws Exception {
        Path plan = tmp.resolve("plan.sh");
        PrestartedShell shell = start(plan);
        assertTrue(shell.send(Map.of("CICD_A", "it's\n\"two\" lines $HOME", "CICD_B", "")));
        Files.writeString(plan, "printf '%s|%s|%s' \"$CICD_A\" \"$CICD_B\" \"${BASH_ENV-unset}\"; exit 3\n");
        shell.release();
        assertTrue(shell.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(3, shell.process().exitValue());
        assertEquals("it's\n\"two\" lines $HOME||unset",
                new String(shell.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8));
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
