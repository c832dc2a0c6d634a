package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Campaigns for one election with jetcd's Election service, on a lease of its own, and reports when
 * leadership is won and lost. Runs on one thread; callbacks run on it. Each campaign's lease is kept
 * alive by an {@link ElectionLease}.
 *
 * <p>Leadership is held while (a) the campaign returned our leader key, (b) the leader key has not been
 * deleted (watched), and (c) a keep-alive sent at time t was acknowledged with t + TTL - margin still in
 * the future: the lease cannot have expired on the server before that, because the server received the
 * keep-alive after t. Losing any of them ends the term; the loop then revokes the old lease and
 * campaigns again with a new one.
 */
public final class ElectionLoop implements Fence {

    private static final Logger LOG = LoggerFactory.getLogger(ElectionLoop.class);

    private final Client client;
    private final ByteSequence electionName;
    private final String name;
    private final String candidateId;
    private final String description;
    private final long ttlSeconds;
    private final Duration requestTimeout;
    private final Runnable onElected;
    private final Consumer<String> onLost;
    private final LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    private final ScheduledThreadPoolExecutor keepAlives;
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile Term term;
    private volatile boolean steppingDown;
    private boolean resigned;
    private static final long RESIGN_PAUSE_MS = 500;

    private record Term(LeaderKey key, ElectionLease session) {
    }

    private record CampaignDone(long lease, CampaignResponse response, Throwable error) {
    }

    private record LeaseLost(long lease, String why) {
    }

    private record KeyDeleted(long createRevision) {
    }

    private record Rejected(long createRevision) {
    }

    private enum Signal { RESIGN, CLOSE }

    public ElectionLoop(Client client, String electionName, String candidateId, String description, Duration ttl,
            Duration requestTimeout, Runnable onElected, Consumer<String> onLost) {
        this.client = client;
        this.name = electionName;
        this.electionName = Etcd.bytes(electionName);
        this.candidateId = candidateId;
        this.description = description;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.requestTimeout = requestTimeout;
        this.onElected = onElected;
        this.onLost = onLost;
        this.keepAlives = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cicd-etcd-keepalive-" + candidateId);
            t.setDaemon(true);
            return t;
        });
        this.keepAlives.setRemoveOnCancelPolicy(true);
        this.thread = new Thread(this::run, "cicd-etcd-election-" + candidateId);
        this.thread.setDaemon(true);
    }

    public void start() {
        if (closed) {
            throw new IllegalStateException(description + ": the election was closed");
        }
        if (started.compareAndSet(false, true)) {
            thread.start();
        }
    }

    /** Whether this runner holds the leadership now (and is not stepping down). */
    public boolean isLeader() {
        Term t = term;
        return t != null && !steppingDown && t.session().valid();
    }

    @Override
    public Optional<Token> token() {
        Term t = term;
        return t == null ? Optional.empty() : Optional.of(new Token(t.key().getKey(), t.key().getRevision()));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void rejected(Token token) {
        signals.offer(new Rejected(token.createRevision()));
    }

    /** Gives up the current leadership (if any); the loop campaigns again behind the other candidates. */
    public void resign() {
        signals.offer(Signal.RESIGN);
    }

    /** Who leads the election now, as etcd reports it (the leader's candidate id). */
    public Optional<String> leader() {
        try {
            var r = Etcd.await(client.getElectionClient().leader(electionName), requestTimeout,
                    () -> "asking etcd for the leader of " + name);
            return r.getKv() == null ? Optional.empty() : Optional.of(Etcd.text(r.getKv().getValue()));
        } catch (CicdException e) {
            if (String.valueOf(e.getCause()).contains("NoLeaderException")
                    || e.getCause() instanceof io.etcd.jetcd.election.NoLeaderException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Stops campaigning; a leader steps down first (listeners told) and resigns. */
    public void close(Duration wait) {
        closed = true;
        signals.offer(Signal.CLOSE);
        if (started.get() && Thread.currentThread() != thread) {
            try {
                if (!stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("{}: election loop did not stop within {} ms", description, wait.toMillis());
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        keepAlives.shutdownNow();
    }

    // ---------------------------------------------------------------- loop

    private void run() {
        long backoff = 200;
        try {
            while (!closed) {
                try {
                    campaignOnce();
                    backoff = 200;
                } catch (RuntimeException e) {
                    if (closed) {
                        break;
                    }
                    Throwable cause = Etcd.unwrap(e);
                    if (Etcd.isClientClosed(cause)) {
                        LOG.error("{}: the etcd client was closed; the election stops campaigning", description);
                        break;
                    }
                    LOG.warn("{}: campaign failed ({}); retrying in {} ms", description, Etcd.describe(cause), backoff);
                    Object s = signals.poll(backoff, TimeUnit.MILLISECONDS);
                    if (s == Signal.CLOSE) {
                        break;
                    }
                    backoff = Math.min(backoff * 2, 2000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    private void campaignOnce() throws InterruptedException {
        ElectionLease session = ElectionLease.grant(client, ttlSeconds, requestTimeout, description, keepAlives,
                (id, why) -> signals.offer(new LeaseLost(id, why)));
        long lease = session.id();
        session.start();
        boolean revoke = true;
        try {
            LOG.debug("{}: campaigning for {} with lease {}", description, name, Long.toHexString(lease));
            client.getElectionClient().campaign(electionName, lease, Etcd.bytes(candidateId))
                    .whenComplete((r, t) -> signals.offer(new CampaignDone(lease, r, t)));
            while (true) {
                Object s = signals.poll(200, TimeUnit.MILLISECONDS);
                if (closed || s == Signal.CLOSE) {
                    return;
                }
                if (s instanceof CampaignDone done && done.lease() == lease) {
                    if (done.error() != null) {
                        throw new CicdException(CicdException.Code.SOURCE, description + ": campaign for " + name
                                + " failed: " + Etcd.describe(Etcd.unwrap(done.error())), Etcd.unwrap(done.error()));
                    }
                    revoke = lead(done.response().getLeader(), session);
                    if (resigned && !closed) {
                        // give the other candidates the lead before queueing up again
                        Object next = signals.poll(RESIGN_PAUSE_MS, TimeUnit.MILLISECONDS);
                        if (next == Signal.CLOSE) {
                            closed = true;
                        }
                    }
                    return;
                }
                if (s instanceof LeaseLost lost && lost.lease() == lease) {
                    LOG.info("{}: lease lost while campaigning ({}); campaigning again", description, lost.why());
                    return;
                }
                if (!session.valid()) {
                    LOG.info("{}: lease {} not renewed within its TTL while campaigning; campaigning again",
                            description, Long.toHexString(lease));
                    return;
                }
            }
        } finally {
            session.stop();
            if (revoke) {
                session.revokeQuietly();
            }
        }
    }

    /** Holds the leadership until it is lost or given up; returns whether the lease should be revoked. */
    private boolean lead(LeaderKey key, ElectionLease session) throws InterruptedException {
        Term t = new Term(key, session);
        steppingDown = false;
        term = t;
        long createRevision = key.getRevision();
        Watch.Watcher keyWatch = watchKey(key);
        LOG.info("{}: elected leader of {} (leader key {} created at revision {})", description, name,
                Etcd.text(key.getKey()), createRevision);
        String reason = null;
        boolean resign = false;
        resigned = false;
        try {
            safely(onElected);
            while (reason == null) {
                Object s = signals.poll(50, TimeUnit.MILLISECONDS);
                if (closed || s == Signal.CLOSE) {
                    reason = "the election is closing";
                    resign = true;
                } else if (s == Signal.RESIGN) {
                    reason = "resigned";
                    resign = true;
                    resigned = true;
                } else if (s instanceof LeaseLost lost && lost.lease() == session.id()) {
                    reason = "its lease was lost (" + lost.why() + ")";
                } else if (s instanceof KeyDeleted d && d.createRevision() == createRevision) {
                    reason = "its leader key was deleted";
                } else if (s instanceof Rejected r && r.createRevision() == createRevision) {
                    reason = "etcd rejected a fenced write: the leader key is gone";
                } else if (!session.valid()) {
                    reason = "its lease was not renewed within the TTL";
                }
            }
        } finally {
            if (resign) {
                // Stop new actions, but keep the fencing token until the listeners (which close the
                // pipeline and let its in-flight event commit) return; then resign in etcd.
                steppingDown = true;
                notifyLost(reason);
                term = null;
                try {
                    Etcd.await(client.getElectionClient().resign(key), requestTimeout,
                            () -> description + ": resigning from " + name);
                } catch (RuntimeException e) {
                    LOG.debug("{}: resign failed: {}", description, e.getMessage());
                }
            } else {
                term = null;
                notifyLost(reason);
            }
            if (keyWatch != null) {
                keyWatch.close();
            }
        }
        return true;
    }

    private void notifyLost(String reason) {
        LOG.warn("{}: no longer the leader of {}: {}", description, name, reason);
        String r = reason;
        safely(() -> onLost.accept(r));
    }

    private Watch.Watcher watchKey(LeaderKey key) {
        long createRevision = key.getRevision();
        try {
            return client.getWatchClient().watch(key.getKey(),
                    WatchOption.builder().withRevision(createRevision + 1).build(),
                    Watch.listener(response -> {
                        for (WatchEvent e : response.getEvents()) {
                            if (e.getEventType() == WatchEvent.EventType.DELETE) {
                                signals.offer(new KeyDeleted(createRevision));
                            }
                        }
                    }, error -> LOG.debug("{}: watch of the leader key failed: {}", description, error.toString())));
        } catch (RuntimeException e) {
            LOG.debug("{}: cannot watch the leader key: {}", description, e.toString());
            return null;
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("{}: a leadership listener failed", description, e);
        }
    }
}
