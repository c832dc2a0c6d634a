package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code import-confd} on the recipe's own conf.d and templates gives a config that passes the self-test. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ImportConfdIT {

    @Test
    void importedRecipeConfigPassesTheSelftest() throws Exception {
        Path recipe = ImportConfdTest.recipe();
        Path out = ItSupport.workDir("import-it-");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            JarProcess.Finished imp = JarProcess.run(Duration.ofSeconds(60), Map.of(), "import-confd", recipe.toString(),
                    "-o", out.toString(), "--endpoints", etcd.endpoints().get(0).toString());
            assertEquals(0, imp.exitCode(), imp.toString());
            Path config = out.resolve("cicd.yaml");
            Map<String, String> env = Map.of("CICD_RUNNER_GROUP", "imported");
            try (JarProcess runner = JarProcess.start(out.resolve("runner.log"), env, "run", "-c", config.toString())) {
                runner.awaitLog("watching 2 watch(es)", Duration.ofSeconds(60));
                JarProcess.Finished st = JarProcess.run(Duration.ofMinutes(2), env, "selftest", "-c", config.toString(),
                        "--times", "10", "--watch", "rollout");
                assertEquals(0, st.exitCode(), st + "\n--- runner\n" + runner.log());
                assertTrue(Pattern.compile("applied \\(runs\\)\\s+10\\s+1\\n").matcher(st.out()).find(), st.out());
                assertTrue(Pattern.compile("in-sync\\s+0\\s+9\\n").matcher(st.out()).find(), st.out());
                assertTrue(st.out().contains("selftest passed"), st.out());
            }
        }
    }
}
