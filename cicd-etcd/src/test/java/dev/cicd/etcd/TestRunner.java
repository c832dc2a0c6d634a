package dev.cicd.etcd;

import dev.cicd.core.Action;
import dev.cicd.core.Pipeline;
import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.Client;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One runner as a test wires it: etcd source, {@link EtcdStateStore} (fenced when an election is given)
 * and a recording sink.
 */
final class TestRunner implements AutoCloseable {

    final String id;
    final EtcdState state;
    final Recording.Sink sink = new Recording.Sink();
    private final Pipeline pipeline;

    TestRunner(Client client, String id, String base, WatchSpec watch, Action action, LeaderElection fence) {
        this(client, id, base, watch, action, fence, b -> { });
    }

    /** With {@code settings} applied to the state's builder last (status retention, TTL...). */
    TestRunner(Client client, String id, String base, WatchSpec watch, Action action, LeaderElection fence,
            java.util.function.Consumer<EtcdState.Builder> settings) {
        this.id = id;
        EtcdState.Builder b = EtcdState.builder(client).group("g").statePrefix(base + "/state")
                .statusPrefix(base + "/status").runnerId(id).statusTtl(Duration.ofHours(1));
        if (fence != null) {
            b.fence(fence);
        }
        settings.accept(b);
        this.state = b.build();
        Path work = Path.of(System.getProperty("cicd.testkit.workDir", System.getProperty("java.io.tmpdir")))
                .resolve("pipelines").resolve(id + "-" + System.nanoTime());
        this.pipeline = Pipeline.builder()
                .source(EtcdTriggerSource.builder(client).requestTimeout(Duration.ofSeconds(2)).build())
                .watch(watch)
                .renderer(Recording.RENDERER)
                .state(state.store())
                .sink(sink)
                .action("record", action)
                .workDir(work)
                .closeTimeout(Duration.ofSeconds(10))
                .build();
    }

    TestRunner start() {
        pipeline.start();
        return this;
    }

    Pipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
