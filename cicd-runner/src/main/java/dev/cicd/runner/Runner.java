package dev.cicd.runner;

import dev.cicd.core.Action;
import dev.cicd.core.CicdException;
import dev.cicd.core.FileTrees;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Pipeline;
import dev.cicd.core.RunLog;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.EtcdState;
import dev.cicd.etcd.EtcdStateStore;
import dev.cicd.etcd.EtcdTriggerSource;
import dev.cicd.etcd.LeaderElection;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.runner.internal.http.Health;
import dev.cicd.runner.internal.http.HttpEndpoint;
import dev.cicd.runner.internal.http.Liveness;
import dev.cicd.runner.internal.http.RunnerMetrics;
import dev.cicd.runner.internal.notify.Notifications;
import dev.cicd.runner.internal.wiring.EarlyStart;
import dev.cicd.runner.internal.wiring.EtcdProbe;
import dev.cicd.runner.internal.wiring.GroupMode;
import dev.cicd.runner.internal.wiring.InFlightActions;
import dev.cicd.runner.internal.wiring.KubernetesClientFuture;
import dev.cicd.runner.internal.wiring.Wiring;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole loop for one config: etcd client, leader election of the runner group ({@link LeaderTerms}) or,
 * when {@code runner.shards} is set, this runner's part of the group's shards ({@link ShardedTerms}), and,
 * while this runner leads (or for the shards it holds), a {@link Pipeline} from an {@link EtcdTriggerSource} through the renderer and the
 * watches' actions (per-target lanes, {@code runner.parallelism} at once) to the run log, the etcd state
 * (fenced transactions, one per batch of outcomes) and the metrics; plus the HTTP endpoint when {@code runner.httpPort} is set.
 *
 * <pre>
 *   try (Runner r = Runner.start(RunnerConfig.load(Path.of("cicd.yaml")))) {
 *       r.awaitWatching(Duration.ofSeconds(30));
 *       ...
 *   }
 * </pre>
 */
public final class Runner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

    private final RunnerConfig config;
    private final Client etcd;
    private final KubernetesClientFuture kube;
    private final LeaderElection election;
    /** Of a sharded group ({@code runner.shards > 0}); null when one leader processes everything. */
    private final ShardMembership membership;
    private final ShardedTerms shardedTerms;
    private final EtcdState state;
    private final RunnerMetrics metrics;
    private final Notifications notifications;
    private final RunLog runLog;
    private final Path workDir;
    /** Built once: a signed watch's verifier remembers accepted nonces across leadership terms. */
    private final List<WatchSpec> specs;
    /** The pipeline of the current leadership term, while this runner leads. */
    private final AtomicReference<Pipeline> term = new AtomicReference<>();
    private final AtomicReference<String> failure = new AtomicReference<>();
    /** The renderer built while etcd was connecting, for the first term (later terms build their own). */
    private final AtomicReference<PebbleRenderer> firstRenderer = new AtomicReference<>();
    private final EtcdProbe probe;
    private final InFlightActions actions = new InFlightActions(Pipeline.DEFAULT_ACTION_GRACE);
    private final RunnerHealth health;
    /** Of a group with one leader: its terms; null for a sharded group. */
    private volatile LeaderTerms leaderTerms;
    private volatile boolean started;
    private HttpEndpoint http;
    private volatile boolean closed;

    private Runner(RunnerConfig config, Client etcd, KubernetesClientFuture kube, EarlyStart prepared) {
        this.config = config;
        this.firstRenderer.set(prepared.renderer());
        this.etcd = etcd;
        this.kube = kube;
        this.probe = new EtcdProbe(etcd, config);
        this.specs = Wiring.watchSpecs(config);
        RunnerSettings s = config.runner();
        this.election = LeaderElection.builder(etcd).group(s.group()).candidateId(s.id()).ttl(s.electionTtl()).build();
        EtcdState.Builder sb = EtcdState.builder(etcd).group(s.group()).runnerId(s.id())
                .statePrefix(Wiring.statePrefix(config)).statusPrefix(s.statusPrefix())
                .statusTtl(s.statusRetention().maxAge()).statusMaxPerWatch(s.statusRetention().maxPerWatch());
        if (s.sharded()) {
            this.shardedTerms = new ShardedTerms(ShardMembership.builder(etcd).group(s.group()).runnerId(s.id())
                    .shards(s.shards()).ttl(s.electionTtl()).closeTimeout(Wiring.longestTimeout(config).plusSeconds(10)),
                    this::storeFor, this::buildPipeline, term, failure::set);
            this.membership = shardedTerms.membership();
            this.state = sb.shards(membership).build();
        } else {
            this.shardedTerms = null;
            this.membership = null;
            this.state = sb.fence(election).build();
        }
        this.metrics = prepared.metrics();
        this.metrics.statusRecordsPruned(state::prunedStatusRecords);
        this.metrics.haltedBy(w -> {
            Pipeline t = term.get();
            return t != null && t.stats(w).halted();
        });
        this.health = new RunnerHealth(config, probe, membership == null ? election::isLeader : () -> term.get() != null,
                term, failure, () -> leaderTerms == null ? null : leaderTerms.restarter(), () -> started, () -> closed, actions);
        this.notifications = Notifications.create(config, metrics.registry(), System.getenv());
        this.runLog = RunLog.builder().dir(Path.of(s.logDir())).maxAge(s.logRetention().maxAge())
                .maxFiles(s.logRetention().maxFiles()).maxBytes(s.logRetention().maxBytes()).build();
        try {
            if (s.workDir().isEmpty()) {
                this.workDir = Files.createTempDirectory("cicd-work-");
            } else {
                Path base = Files.createDirectories(Path.of(s.workDir()));
                this.workDir = Files.createTempDirectory(base, "run-");
            }
        } catch (IOException e) {
            throw new ConfigException("runner.workDir: cannot create a work directory for plan files in "
                    + (s.workDir().isEmpty() ? System.getProperty("java.io.tmpdir") : s.workDir()) + ": " + e, e);
        }
    }

    /**
     * Connects to etcd (and Kubernetes when a watch needs it), starts the HTTP endpoint and campaigns for
     * the group's leadership; the pipeline starts when elected.
     *
     * @throws CicdException   {@code SOURCE} naming the endpoints when etcd does not answer within 5 s
     * @throws ConfigException when a client cannot be built from the config
     */
    public static Runner start(RunnerConfig config) {
        Objects.requireNonNull(config, "config");
        KubernetesClientFuture kube = KubernetesClientFuture.start(config);
        EarlyStart early;
        try {
            early = EarlyStart.of(config, EarlyStart.CONNECT_TIMEOUT);
        } catch (RuntimeException e) {
            kube.close();
            throw e;
        }
        Client etcd = early.etcd();
        Runner r = null;
        try {
            r = new Runner(config, etcd, kube, early);
            r.begin();
            return r;
        } catch (RuntimeException e) {
            if (r != null) {
                r.close();
            } else {
                kube.close();
                early.metrics().close();
                etcd.close();
            }
            throw e;
        }
    }

    /**
     * Waits for the Kubernetes client (built in the background by {@link #start}) and rethrows what
     * building it threw, so a bad {@code kubernetes} section fails the start too.
     */
    public void awaitClients(Duration timeout) {
        kube.await(timeout);
    }

    private KubernetesClient kubernetes() {
        return kube.await(Duration.ofMinutes(2));
    }

    private void begin() {
        RunnerSettings s = config.runner();
        GroupMode.check(etcd, s, Duration.ofSeconds(5));
        if (s.httpPort() > 0) {
            metrics.bindJvm();
            http = HttpEndpoint.start(s.httpHost(), s.httpPort(), health::readiness, health::liveness, metrics);
        }
        if (shardedTerms != null) {
            metrics.shards(membership::stats);
            state.prepareShards(specs.stream().map(WatchSpec::name).toList()); // before joining: see its javadoc
            shardedTerms.start();
            started = true;
            LOG.info("runner {} started: group {} of {} shards, {} watch(es), etcd {}, joining the group", s.id(),
                    s.group(), s.shards(), config.watches().size(), config.etcd().endpoints());
            return;
        }
        leaderTerms = new LeaderTerms(config, election, term, failure, () -> buildPipeline(state.store()), metrics,
                () -> closed);
        leaderTerms.start();
        started = true;
        LOG.info("runner {} started: group {}, {} watch(es), etcd {}, waiting for the leadership",
                s.id(), s.group(), config.watches().size(), config.etcd().endpoints());
    }

    private EtcdStateStore storeFor(java.util.Set<Integer> shards) {
        return state.store(shards);
    }

    /** The pipeline of one leadership term, or of one set of shards. */
    private Pipeline buildPipeline(EtcdStateStore store) {
        List<String> ignored = new ArrayList<>(EtcdTriggerSource.DEFAULT_IGNORED_PREFIXES);
        ignored.add(Wiring.statePrefix(config));
        ignored.add(config.runner().statusPrefix());
        Pipeline.Builder pb = Pipeline.builder()
                .source(EtcdTriggerSource.builder(etcd).ignorePrefixes(ignored.stream().distinct().toList()).build())
                .watches(specs)
                .renderer(Optional.ofNullable(firstRenderer.getAndSet(null)).orElseGet(() -> Wiring.renderer(config)))
                .state(store)
                .runLog(runLog)
                .sink(metrics)
                .sink(notifications)
                .workDir(workDir)
                .parallelism(config.runner().parallelism())
                .closeTimeout(Wiring.longestTimeout(config).plusSeconds(5));
        for (Map.Entry<String, Action> a : Wiring.actions(config, this::kubernetes).entrySet()) {
            Action tracked = actions.track(a.getKey(), a.getValue());
            pb.action(a.getKey(), membership == null ? election.guard(tracked) : tracked);
        }
        return pb.build();
    }

    /** Waits until this runner leads its group and every watch is watching etcd. */
    public boolean awaitWatching(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Pipeline t = term.get();
            if (t != null) {
                return TermStatus.awaitWatching(t, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            if (System.nanoTime() > deadline || closed) {
                return false;
            }
            sleep(20);
        }
    }

    /**
     * Waits until every watch has an outcome for the current value of each of its keys (as of this
     * call) and nothing is in flight: what {@code once} needs.
     *
     * @return false when the timeout passed first or this runner is not the leader
     */
    public boolean awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> targets = probe.currentRevisions();
        while (true) {
            Pipeline t = term.get();
            if (t != null) {
                boolean all = true;
                for (Map.Entry<String, Long> e : targets.entrySet()) {
                    Pipeline.WatchStats st = t.stats(e.getKey());
                    if (st.lastRevision() < e.getValue() && !st.halted()) {
                        all = false;
                    }
                }
                if (all) {
                    return t.awaitIdle(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                }
            }
            if (System.nanoTime() > deadline || closed) {
                return false;
            }
            sleep(20);
        }
    }

    /** Of a sharded group: the shards this runner's pipeline carries out now (empty otherwise). */
    public java.util.Set<Integer> shards() {
        return shardedTerms == null ? java.util.Set.of() : shardedTerms.running();
    }

    /** Whether this runner leads its group now. */
    public boolean isLeader() {
        return election.isLeader();
    }

    /** The HTTP endpoint's port, when it runs. */
    public OptionalInt httpPort() {
        return http == null ? OptionalInt.empty() : OptionalInt.of(http.port());
    }

    /** Counters per watch of the current leadership term (empty when not leading). */
    public Map<String, Pipeline.WatchStats> stats() {
        Pipeline t = term.get();
        return t == null ? Map.of() : t.stats();
    }

    /** Waits until the current term's pipeline has nothing in flight. */
    public boolean awaitIdle(Duration timeout) {
        Pipeline t = term.get();
        return t == null || t.awaitIdle(timeout);
    }

    /** The config this runner runs. */
    public RunnerConfig config() {
        return config;
    }

    /** Readiness, as {@code /readyz} answers it. */
    Health health() {
        return health.readiness();
    }

    /** Liveness, as {@code /livez} answers it. */
    Liveness liveness() {
        return health.liveness();
    }

    /**
     * Stops gracefully: the pipeline finishes or times out its in-flight actions and writes their
     * checkpoints, the leadership is resigned, clients are closed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http != null) {
            http.close();
        }
        if (leaderTerms != null) {
            leaderTerms.close();
        }
        if (shardedTerms != null) {
            shardedTerms.close(); // the pipeline first, then the shards are released
        }
        notifications.close(); // after the pipeline: its last outcomes are queued; sends them for up to 5 s
        election.close();
        metrics.close();
        kube.close();
        etcd.close();
        FileTrees.deleteTree(workDir);
        LOG.info("runner {} stopped", config.runner().id());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw CicdException.interrupted("waiting", e);
        }
    }
}
