package dev.cicd.core.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessLaunchTest {

    @Test
    void vforkOnLinuxUpToJdk24Only() {
        assertEquals(Optional.of("VFORK"), ProcessLaunch.choose("Linux", 17, null));
        assertEquals(Optional.of("VFORK"), ProcessLaunch.choose("Linux", 21, ""));
        assertEquals(Optional.of("VFORK"), ProcessLaunch.choose("Linux", 24, null));
        assertEquals(Optional.empty(), ProcessLaunch.choose("Linux", 25, null), "deprecated on 25");
        assertEquals(Optional.empty(), ProcessLaunch.choose("Linux", 26, null));
        assertEquals(Optional.empty(), ProcessLaunch.choose("Mac OS X", 17, null), "no VFORK off Linux");
        assertEquals(Optional.empty(), ProcessLaunch.choose("Windows 11", 17, null));
    }

    @Test
    void aValueGivenOnTheCommandLineWins() {
        assertEquals(Optional.empty(), ProcessLaunch.choose("Linux", 17, "POSIX_SPAWN"));
        assertEquals(Optional.empty(), ProcessLaunch.choose("Linux", 17, "FORK"));
    }
}
