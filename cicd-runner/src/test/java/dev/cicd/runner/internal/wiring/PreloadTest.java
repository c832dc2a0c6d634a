package dev.cicd.runner.internal.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PreloadTest {

    @Test
    void everyClassItNamesIsOnTheRunnersClassPath() {
        // a renamed class in a dependency upgrade would silently turn the preloading off
        assertEquals(Preload.DAEMON.size(), Preload.load(Preload.DAEMON));
    }

    @Test
    void aMissingClassIsSkipped() {
        assertEquals(1, Preload.load(List.of("dev.cicd.NoSuchClass", "java.lang.String")));
    }
}
