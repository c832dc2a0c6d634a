package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runners sharing shards ride out etcd going away: watches resume, lost leases are replaced. */
@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ShardFaultsTest {

    static final int S = ShardMembershipTest.S;
    static final String GROUP = ShardMembershipTest.GROUP;
    static final Duration WAIT = Duration.ofSeconds(30);

    EtcdFixture etcd;

    @Test
    void afterEtcdRestartsTheRunnersSettleAgainAndStillSeeJoins() throws Exception {
        String root = uniquePrefix("shards");
        Duration ttl = Duration.ofSeconds(3);
        List<ShardRunner> runners = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                runners.add(new ShardRunner(etcd.newClient(), root, GROUP, "runner-" + i, ttl, S).start());
            }
            try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, ttl)) {
                assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)), "settled: " + w.owners());
            }
            etcd.restart();
            try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, ttl)) {
                assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)),
                        "settled after the restart: " + w.owners());
                // the watches work again: a join after the restart is seen by everyone
                runners.add(new ShardRunner(etcd.newClient(), root, GROUP, "runner-4", ttl, S).start());
                assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)),
                        "settled after a join: " + w.owners());
                assertTrue(w.violations().isEmpty(), w.violations().toString());
            }
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }
}
