package dev.cicd.runner.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.core.Outcome;
import dev.cicd.runner.ExitCodes;
import org.junit.jupiter.api.Test;

class TriggerExitCodesTest {

    @Test
    void everyOutcomeHasItsOwnExitCodeAndSupersededIsSix() {
        assertEquals(ExitCodes.OK, TriggerCommand.exitCode(Outcome.Kind.APPLIED));
        assertEquals(ExitCodes.OK, TriggerCommand.exitCode(Outcome.Kind.IN_SYNC));
        assertEquals(ExitCodes.USAGE, TriggerCommand.exitCode(Outcome.Kind.REJECTED));
        assertEquals(ExitCodes.FAILED, TriggerCommand.exitCode(Outcome.Kind.FAILED));
        assertEquals(6, TriggerCommand.exitCode(Outcome.Kind.SUPERSEDED));
    }
}
