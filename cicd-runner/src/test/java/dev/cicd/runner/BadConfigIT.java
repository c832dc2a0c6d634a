package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A bad config stops the jar with exit 2 and one line naming the key, file or endpoint; a trace only with -v. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BadConfigIT {

    static final String GOOD = """
            etcd:
              endpoints: [http://127.0.0.1:%d]
            runner:
              logDir: logs
            watches:
              - name: deploy
                prefix: /cicd/deploy
                keys: [/trigger]
                template: deploy.peb
                action: shell
            """;

    Path write(String yaml) throws Exception {
        Path dir = ItSupport.workDir("bad-config-it-");
        Files.writeString(dir.resolve("deploy.peb"), "echo {{ data.imageTag | sh }}\n");
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    static void assertOneLine(JarProcess.Finished r, String... fragments) {
        assertEquals(2, r.exitCode(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + r);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
        assertFalse(err.contains("\tat "), r.toString());
    }

    @Test
    void unknownKeyExitsTwoNamingTheKeyFileAndLine() throws Exception {
        Path f = write(String.format(GOOD, 2379).replace("  logDir: logs\n", "  logDir: logs\n  logdir: other\n"));
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of(), "run", "-c", f.toString());
        assertOneLine(r, f + ":5:", "unknown key 'runner.logdir'", "did you mean 'logDir'?");
        JarProcess.Finished verbose = JarProcess.run(Duration.ofSeconds(60), Map.of(), "run", "-v", "-c", f.toString());
        assertEquals(2, verbose.exitCode(), verbose.toString());
        assertTrue(verbose.err().contains("\tat dev.cicd.runner"), "a stack trace with -v: " + verbose);
    }

    @Test
    void missingTemplateExitsTwoNamingTheFile() throws Exception {
        Path f = write(String.format(GOOD, 2379).replace("template: deploy.peb", "template: templates/missing.peb"));
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of(), "once", "-c", f.toString());
        assertOneLine(r, f + ":9:", "watches[0].template", f.getParent().resolve("templates/missing.peb") + " not found");
    }

    @Test
    void unreachableEtcdExitsFiveNamingTheEndpoint() throws Exception {
        int port = ItSupport.freePort();
        Path f = write(String.format(GOOD, port));
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of(), "run", "-c", f.toString());
        assertEquals(5, r.exitCode(), "infrastructure, not a bad config: " + r);
        assertTrue(r.err().contains("http://127.0.0.1:" + port), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
    }

    @Test
    void badEnvironmentOverrideExitsTwoNamingTheVariable() throws Exception {
        Path f = write(String.format(GOOD, 2379));
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of("CICD_WATCHES_DEPLOY_TIMEOUT", "soon"),
                "run", "-c", f.toString());
        assertOneLine(r, "CICD_WATCHES_DEPLOY_TIMEOUT", "watches[0].timeout", "'soon' is not a duration");
    }
}
