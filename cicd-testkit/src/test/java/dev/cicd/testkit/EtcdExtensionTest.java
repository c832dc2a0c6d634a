package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EtcdExtensionTest {

    @Test
    void fixtureIsUnavailableBeforeJUnitStartsIt() {
        EtcdExtension extension = EtcdExtension.builder().members(3).build();

        assertThrows(IllegalStateException.class, extension::fixture);
    }

    @Test
    void theBuilderRejectsUnsupportedMemberCounts() {
        assertThrows(IllegalArgumentException.class, () -> EtcdExtension.builder().members(2));
        assertThrows(IllegalArgumentException.class, () -> EtcdFixture.builder().members(0));
    }
}
