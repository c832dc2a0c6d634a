package dev.cicd.core.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessTreeTest {

    @Test
    void killEndsTheProcessAndItsChildrenThatAliveSeesRunningBefore() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "sleep 60 & sleep 60 & wait").start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<ProcessHandle> children;
            do {
                Thread.sleep(20);
                children = p.descendants().toList();
            } while (children.size() < 2 && System.nanoTime() < deadline);
            assertEquals(2, children.size());
            for (ProcessHandle c : children) {
                assertTrue(ProcessTree.alive(c), "child runs before the kill");
            }
            assertEquals(3, ProcessTree.kill(p.toHandle(), Duration.ofSeconds(1)));
            p.waitFor();
            for (ProcessHandle c : children) {
                assertFalse(ProcessTree.alive(c), "child " + c.pid() + " is gone");
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aProcessThatIgnoresSigtermIsKilledAfterTheGrace() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done").start();
        try {
            assertEquals('r', p.getInputStream().read());
            long t0 = System.nanoTime();
            ProcessTree.kill(p.toHandle(), Duration.ofMillis(300));
            p.waitFor();
            assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(300).toNanos(), "waited the grace first");
            assertFalse(ProcessTree.alive(p.toHandle()));
        } finally {
            p.destroyForcibly();
        }
    }
}
