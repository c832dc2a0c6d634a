package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The distribution as people install it: {@code target/cicd-VERSION.tar.gz} unpacked to a fresh directory and run
 * through {@code bin/cicd} (the launcher): its layout, {@code --version}, the class-data archive made by the first
 * launch and used by the next, {@code run} and {@code trigger} working without the demo's jars (and not having them
 * on the class path), and {@code demo} passing with them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DistributionIT {

    /** Jars only {@code demo} uses (the testkit and what only it brings); they live in lib/demo/. */
    static final List<String> DEMO_ONLY = List.of("cicd-testkit-", "kubernetes-server-mock-", "mockwebserver-",
            "vertx-web-5", "vertx-bridge-common-", "vertx-eventbus-bridge-common-", "bcprov-", "bcpkix-", "bcutil-");

    static Path home;
    static Path cds;

    /** What a launch printed. */
    record Launch(int exitCode, String out, String err) {
        /** The java command line the launcher printed (CICD_LAUNCHER_DEBUG). */
        String commandLine() {
            return err.lines().filter(l -> l.startsWith("cicd launcher:")).findFirst()
                    .orElseThrow(() -> new AssertionError("no launcher line:\n" + this));
        }

        /** The -cp value of that command line. */
        List<String> classPath() {
            String line = commandLine();
            int i = line.indexOf("'-cp' '");
            assertTrue(i >= 0, line);
            String cp = line.substring(i + 7, line.indexOf('\'', i + 7));
            return List.of(cp.split(":"));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball = Path.of(System.getProperty("cicd.dist", "target/cicd-unknown.tar.gz"));
        assertTrue(Files.isRegularFile(tarball), tarball.toAbsolutePath() + " is missing: run the *IT tests with `mvn verify`");
        Path dir = ItSupport.workDir("dist-");
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", dir.toString())
                .redirectErrorStream(true).start();
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS), "tar did not finish");
        assertEquals(0, tar.exitValue(), new String(tar.getInputStream().readAllBytes()));
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(p -> p.getFileName().toString().startsWith("cicd-")).findFirst().orElseThrow();
        }
        cds = dir.resolve("cds");
    }

    static Launch launch(Duration timeout, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/cicd").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("CICD_") || k.equals("JAVA_OPTS"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("CICD_CDS_DIR", cds.toString());
        pb.environment().put("CICD_LAUNCHER_DEBUG", "1");
        pb.environment().putAll(env);
        Path out = Files.createTempFile("cicd-dist-out-", ".txt");
        Path err = Files.createTempFile("cicd-dist-err-", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("bin/cicd " + String.join(" ", args) + " did not finish within " + timeout
                        + "\n--- stdout\n" + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            return new Launch(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The version, as the directory {@code cicd-VERSION} of the tarball names it. */
    static String version() {
        return home.getFileName().toString().substring("cicd-".length());
    }

    @AfterAll
    static void stopFixtures() throws Exception {
        try {
            if (k8s != null) {
                k8s.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    static boolean demoOnly(String jar) {
        String name = Path.of(jar).getFileName().toString();
        return DEMO_ONLY.stream().anyMatch(name::startsWith);
    }

    @Test
    @Order(1)
    void theTarballHoldsTheLauncherLibrariesConfigDeployExamplesLicenseAndReadme() throws IOException {
        assertTrue(Files.isExecutable(home.resolve("bin/cicd")), "bin/cicd is not executable");
        assertTrue(Files.readString(home.resolve("bin/cicd")).startsWith("#!/bin/sh\n"), "bin/cicd is not a POSIX sh script");
        for (String f : List.of("config/cicd.yaml", "config/manifests/ns-demo1-dev/demoproject/deployment.yaml",
                "deploy/50-deployment.yaml", "deploy/etcd/roles.sh", "examples/recipe.yaml", "LICENSE", "README.md")) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f + " is missing");
        }
        assertTrue(Files.readString(home.resolve("LICENSE")).contains("Apache License"), "LICENSE");
        assertTrue(Files.isExecutable(home.resolve("deploy/etcd/roles.sh")), "deploy/etcd/roles.sh is not executable");
        // the recipe's config loads as shipped (its manifestRoot is config/manifests)
        RunnerConfig c = RunnerConfig.load(home.resolve("config/cicd.yaml"), Map.of());
        assertEquals(3, c.watches().size());

        List<String> lib;
        try (Stream<Path> s = Files.list(home.resolve("lib"))) {
            lib = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
        List<String> demo;
        try (Stream<Path> s = Files.list(home.resolve("lib/demo"))) {
            demo = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("cicd-runner-")), lib.toString());
        assertTrue(lib.stream().anyMatch(n -> n.startsWith("kubernetes-client-")), lib.toString());
        assertTrue(lib.stream().noneMatch(DistributionIT::demoOnly), "demo-only jars in lib/: " + lib);
        assertEquals(DEMO_ONLY.size(), demo.size(), demo.toString());
        assertTrue(demo.stream().allMatch(DistributionIT::demoOnly), demo.toString());
    }

    @Test
    @Order(2)
    void versionWorksAndTheSecondLaunchLoadsClassesFromTheArchiveTheFirstMade() throws Exception {
        Launch first = launch(Duration.ofMinutes(2), Map.of(), "--version");
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(first.out().startsWith("cicd " + version() + "\n"), first.out());
        // the JVM's class-data messages (Java 17 cannot archive picocli's Java 5 classes) are kept off the output
        assertEquals(List.of(), first.err().lines().filter(l -> !l.startsWith("cicd launcher:")).toList(), first.toString());
        Path archive;
        try (Stream<Path> s = Files.list(cds)) {
            archive = s.filter(p -> p.getFileName().toString().endsWith(".jsa")).findFirst()
                    .orElseThrow(() -> new AssertionError("no archive in " + cds + "\n" + first));
        }
        assertTrue(first.commandLine().contains(archive.toString()), first.commandLine());
        FileTime made = Files.getLastModifiedTime(archive);

        // the runner's own classes come from the archive ("shared objects file"), not from the jar
        Launch second = launch(Duration.ofMinutes(2), Map.of("JAVA_OPTS", "-Xlog:class+load=info:stdout"), "--version");
        assertEquals(0, second.exitCode(), second.toString());
        assertTrue(second.commandLine().contains("-XX:SharedArchiveFile=" + archive), second.commandLine());
        assertTrue(second.out().lines().anyMatch(l -> l.contains("dev.cicd.runner.Main source: shared objects file")),
                second.out().lines().filter(l -> l.contains("dev.cicd")).limit(5).toList().toString());
        assertEquals(made, Files.getLastModifiedTime(archive), "the archive was made again");
    }

    static EtcdFixture etcd;
    static KubernetesFixture k8s;
    static Path config;

    /** Starts {@code bin/cicd run -c config}; its stdout and stderr (with the launcher's line) go to {@code log}. */
    static Process startRun(Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/cicd").toString(), "run", "-c", config.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("CICD_") || k.equals("JAVA_OPTS"));
        pb.environment().putAll(Map.of("JAVA_HOME", System.getProperty("java.home"), "CICD_CDS_DIR", cds.toString(),
                "CICD_LAUNCHER_DEBUG", "1"));
        return pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** SIGTERM (bin/cicd execs java, so it reaches the runner itself); the exit code. */
    static int stop(Process runner, Path log) throws Exception {
        runner.destroy();
        assertTrue(runner.waitFor(60, TimeUnit.SECONDS), "the runner did not stop on SIGTERM:\n" + Files.readString(log));
        return runner.exitValue();
    }

    @Test
    @Order(3)
    void theFirstRunRecordsItsOwnArchiveWhenItExits() throws Exception {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofMillis(50)).build();
        ItSupport.createDeployment(k8s.client());
        Path dir = ItSupport.workDir("dist-run-");
        config = dir.resolve("cicd.yaml");
        Files.writeString(config, ItSupport.recipeConfig(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile(),
                dir.resolve("logs"), ItSupport.freePort()));
        Path log = dir.resolve("first-run.log");
        Process runner = startRun(log);
        // the recording run starts slower (on Java 17 about twice as slow): on a loaded machine it can miss the
        // runner's 5 s etcd connect timeout and exit 2, and still records the archive at that exit
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (runner.isAlive() && !Files.readString(log).contains("watching 2 watch(es)") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        stop(runner, log);
        try (Stream<Path> s = Files.list(cds)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("cicd-" + version() + "-run-")),
                    "no archive of run in " + cds + ":\n" + Files.readString(log));
        }
    }

    @Test
    @Order(4)
    void runAndTriggerWorkWithoutTheDemoJarsOnTheirClassPath() throws Exception {
        Path log = config.resolveSibling("runner.log");
        Process runner = startRun(log);
        try {
            awaitLog(runner, log, "watching 2 watch(es)");
            Launch runLine = new Launch(0, "", Files.readString(log));
            assertTrue(runLine.commandLine().contains("-XX:SharedArchiveFile=" + cds.resolve("cicd-" + version() + "-run-")),
                    runLine.commandLine());
            assertTrue(runLine.classPath().stream().noneMatch(DistributionIT::demoOnly), runLine.commandLine());
            assertTrue(runLine.classPath().stream().noneMatch(j -> j.contains("/lib/demo/")), runLine.commandLine());

            // without an archive: a first, recording launch could miss trigger's 5 s etcd timeout on a loaded machine
            Launch t = launch(Duration.ofSeconds(90), Map.of("CICD_CDS", "off"), "trigger", "--endpoints", etcd.endpoints().get(0).toString(),
                    "--key", "/cicd/rollout/trigger", "--namespace", ItSupport.NS, "--app", "demo1", "--service", "gateway",
                    "--tag", "v7", "--wait", "--timeout", "60s");
            assertEquals(0, t.exitCode(), t.toString());
            assertTrue(t.out().contains("applied by watch rollout"), t.toString());
            assertTrue(t.classPath().stream().noneMatch(DistributionIT::demoOnly), t.commandLine());
            // over the JSON gateway: none of the gRPC stack's jars on trigger's class path
            assertTrue(t.classPath().stream().noneMatch(DistributionIT::grpcStack), t.commandLine());
            assertEquals(ItSupport.REGISTRY + "/demo1-gateway:v7", ItSupport.image(k8s.client()));

            // --transport grpc: the whole class path, and the same verdict
            Launch g = launch(Duration.ofSeconds(90), Map.of("CICD_CDS", "off"), "trigger", "--transport", "grpc",
                    "--endpoints", etcd.endpoints().get(0).toString(), "--key", "/cicd/rollout/trigger", "--namespace",
                    ItSupport.NS, "--app", "demo1", "--service", "gateway", "--tag", "v8", "--wait", "--timeout", "60s");
            assertEquals(0, g.exitCode(), g.toString());
            assertTrue(g.out().contains("applied by watch rollout"), g.toString());
            assertTrue(g.classPath().stream().anyMatch(j -> j.contains("/jetcd-core-")), g.commandLine());
            assertEquals(ItSupport.REGISTRY + "/demo1-gateway:v8", ItSupport.image(k8s.client()));
        } finally {
            assertEquals(143, stop(runner, log), Files.readString(log));
        }
    }

    @Test
    @Order(5)
    void demoPassesWithTheDemoJarsOnItsClassPath() throws Exception {
        Launch r = launch(Duration.ofMinutes(4), Map.of(), "demo", "--times", "3");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("started etcd (local process) at http://127.0.0.1:"), r.out());
        assertTrue(r.out().contains("demo passed"), r.out());
        assertTrue(r.classPath().stream().filter(DistributionIT::demoOnly).count() == DEMO_ONLY.size(), r.commandLine());
    }

    @Test
    @Order(6)
    void demoWithoutTheDemoJarsSaysWhatIsMissing() throws Exception {
        Path away = home.resolveSibling("demo-jars-away");
        Files.move(home.resolve("lib/demo"), away);
        try {
            Launch r = launch(Duration.ofMinutes(2), Map.of(), "demo");
            assertEquals(2, r.exitCode(), r.toString());
            assertTrue(r.err().contains("cicd: demo needs the demo libraries"), r.toString());
        } finally {
            Files.move(away, home.resolve("lib/demo"));
        }
    }

    /** A jar of the gRPC client stack (or of what only the daemon uses). */
    static boolean grpcStack(String jar) {
        String name = jar.substring(jar.lastIndexOf('/') + 1);
        return name.startsWith("grpc-") || name.startsWith("netty-") || name.startsWith("jetcd-")
                || name.startsWith("vertx-") || name.startsWith("kubernetes-") || name.startsWith("micrometer-");
    }

    static void awaitLog(Process p, Path log, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError("bin/cicd run exited with " + p.exitValue() + " before logging '" + text + "':\n"
                        + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("bin/cicd run did not log '" + text + "' within 90 s:\n" + Files.readString(log));
    }
}
