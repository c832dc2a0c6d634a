package dev.cicd.testkit.internal.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {

    @Test
    void portsAreNeverHandedOutTwiceInOneJvm() {
        Set<Integer> seen = new HashSet<>();
        for (int round = 0; round < 50; round++) {
            for (int port : LoopbackPorts.allocate(4)) {
                seen.add(port);
            }
        }
        assertEquals(200, seen.size());
    }
}
