package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

    @TempDir
    Path dir;

    @Test
    void helpListsEveryCommandAndTheExitCodes() {
        CliTestSupport.Run r = CliTestSupport.run("--help");
        assertEquals(0, r.exitCode(), r.toString());
        for (String c : new String[] {"run", "once", "trigger", "status", "history", "selftest", "demo", "import-confd"}) {
            assertTrue(r.out().contains("  " + c + " "), c + " in " + r.out());
        }
        assertTrue(r.out().contains("Exit codes:"), r.out());
        assertTrue(r.out().contains("4   timed out waiting for the outcome"), r.out());
    }

    @Test
    void noCommandPrintsTheUsage() {
        CliTestSupport.Run r = CliTestSupport.run();
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().startsWith("Usage: cicd "), r.out());
    }

    @Test
    void versionPrintsTheVersion() {
        CliTestSupport.Run r = CliTestSupport.run("--version");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().startsWith("cicd "), r.out());
    }

    @Test
    void subcommandHelpDescribesItsOptions() {
        CliTestSupport.Run r = CliTestSupport.run("trigger", "--help");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("--wait"), r.out());
        String flat = r.out().replaceAll("\\s+", " ");
        assertTrue(flat.contains("exit 0 applied or in sync, 2 rejected, 3 failed, 4 timed out, 5 infrastructure (etcd "
                + "unreachable, no runner alive), 6 superseded"), r.out());
        assertTrue(flat.contains("Exit codes: 0 applied or in sync"), r.out());
        assertTrue(flat.contains("5 infrastructure: etcd unreachable"), r.out());
    }

    @Test
    void completionPrintsABashCompletionScriptNamingTheSubcommands() {
        CliTestSupport.Run r = CliTestSupport.run("completion");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out());
        assertTrue(r.out().contains("complete -F _complete_cicd"), r.out());
        for (String sub : new String[] {"trigger", "status", "plan", "completion"}) {
            assertTrue(r.out().contains(sub), sub);
        }
        assertTrue(r.out().contains("--runner-grace"), "options of subcommands are completed");
    }

    @Test
    void unknownOptionIsABadUsage() {
        CliTestSupport.Run r = CliTestSupport.run("status", "--frobnicate");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Unknown option: '--frobnicate'"), r.err());
    }

    @Test
    void triggerNeedsAKeyAndAValue() {
        CliTestSupport.Run r = CliTestSupport.run("trigger", "--json", "{}");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Missing required option: '--key=KEY'"), r.err());
        r = CliTestSupport.run("trigger", "--key", "/k");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Missing required argument"), r.err());
        r = CliTestSupport.run("trigger", "--key", "/k", "--namespace", "ns", "--app", "a", "--service", "s");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--tag is required with --action deploy"), r.err());
    }

    @Test
    void missingConfigOptionIsABadUsage() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("CICD_CONFIG") == null, "CICD_CONFIG is set");
        CliTestSupport.Run r = CliTestSupport.run("status");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("give -c FILE or set CICD_CONFIG"), r.err());
    }

    @Test
    void badConfigExitsTwoWithOneLineAndATraceOnlyWithVerbose() throws Exception {
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, "runner:\n  grup: x\nwatches: []\n");
        CliTestSupport.Run r = CliTestSupport.run("status", "-c", f.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertEquals("cicd: " + f + ":2: unknown key 'runner.grup'; did you mean 'group'? (known keys here: "
                + "electionTtl, group, httpHost, httpPort, id, logDir, logFormat, logRetention, parallelism, shards, statePrefix, statusPrefix, statusRetention, workDir)", r.err().strip());
        CliTestSupport.Run v = CliTestSupport.run("status", "-v", "-c", f.toString());
        assertEquals(2, v.exitCode(), v.toString());
        assertTrue(v.err().contains("\tat dev.cicd.runner"), v.err());
        CliTestSupport.Run v2 = CliTestSupport.run("-vv", "status", "-c", f.toString());
        assertTrue(v2.err().contains("\tat dev.cicd.runner"), v2.err());
    }

    @Test
    void verbosityCountsEveryV() {
        assertEquals(0, dev.cicd.runner.internal.cli.CliAccess.verbosity("run", "-c", "x"));
        assertEquals(1, dev.cicd.runner.internal.cli.CliAccess.verbosity("run", "-v"));
        assertEquals(2, dev.cicd.runner.internal.cli.CliAccess.verbosity("-vv", "run"));
        assertEquals(2, dev.cicd.runner.internal.cli.CliAccess.verbosity("-v", "run", "--verbose", "--", "-v"));
    }
}
