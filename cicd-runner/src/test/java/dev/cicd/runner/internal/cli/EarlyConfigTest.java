package dev.cicd.runner.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyConfigTest {

    @Test
    void theConfigFileIsFoundInEveryFormPicocliAcceptsElseInCicdConfig() {
        Map<String, String> none = Map.of();
        assertEquals(Optional.of(Path.of("a.yaml")), EarlyConfig.configFile(new String[] {"run", "-c", "a.yaml"}, none));
        assertEquals(Optional.of(Path.of("b.yaml")), EarlyConfig.configFile(new String[] {"-v", "run", "--config", "b.yaml"}, none));
        assertEquals(Optional.of(Path.of("c.yaml")), EarlyConfig.configFile(new String[] {"run", "--config=c.yaml"}, none));
        assertEquals(Optional.of(Path.of("d.yaml")), EarlyConfig.configFile(new String[] {"once", "-cd.yaml"}, none));
        assertEquals(Optional.of(Path.of("e.yaml")), EarlyConfig.configFile(new String[] {"run"}, Map.of("CICD_CONFIG", "e.yaml")));
        assertEquals(Optional.empty(), EarlyConfig.configFile(new String[] {"run"}, none));
    }

    @Test
    void theEarlyReadIsTakenOnceAndOnlyForItsFile(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("cicd.yaml");
        Files.writeString(config, "etcd: {endpoints: [http://127.0.0.1:2379]}\nwatches:\n"
                + "  - {name: w, prefix: /p, keys: [/k], template: " + dir.resolve("t.peb") + ", action: shell}\n");
        Files.writeString(dir.resolve("t.peb"), "echo {{ data.x | sh }}");
        EarlyConfig.start(new String[] {"run", "-c", config.toString()}, Map.of());
        assertEquals(Optional.empty(), EarlyConfig.take(dir.resolve("other.yaml")));
        assertTrue(EarlyConfig.take(config).isPresent());
        assertEquals(Optional.empty(), EarlyConfig.take(config), "taken once: a second load reads the file again");
    }

    @Test
    void aFailedEarlyReadIsLeftToTheCommandWhichReportsTheError(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "watches: [oops\n");
        EarlyConfig.start(new String[] {"run", "-c", config.toString()}, Map.of());
        assertEquals(Optional.empty(), EarlyConfig.take(config));
    }
}
