package dev.cicd.testkit;

import static dev.cicd.testkit.EtcdTestSupport.await;
import static dev.cicd.testkit.EtcdTestSupport.get;
import static dev.cicd.testkit.EtcdTestSupport.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import java.net.URI;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A 3-member local cluster through the programmatic extension, shared by the tests of this class. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdClusterTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.builder().backend(EtcdBackend.LOCAL).members(3).build();

    @AfterEach
    void allMembersRunAgain() {
        ETCD.fixture().start();
    }

    @Test
    @Order(1)
    void threeMembersListenOnDistinctLoopbackPorts(EtcdFixture etcd) {
        assertSame(ETCD.fixture(), etcd);
        assertEquals(3, etcd.memberCount());
        Set<Integer> ports = new HashSet<>();
        for (URI endpoint : etcd.endpoints()) {
            assertEquals("127.0.0.1", endpoint.getHost());
            ports.add(endpoint.getPort());
        }
        assertEquals(3, ports.size());
        assertEquals(3, await(etcd.client().getClusterClient().listMember()).getMembers().size());
    }

    @Test
    @Order(2)
    void theClusterKeepsServingWithOneMemberStoppedAndTheMemberRejoins(EtcdFixture etcd, Client client) {
        put(client, "/app/image", "before");

        etcd.stopMember(0);

        assertFalse(etcd.isMemberRunning(0));
        put(client, "/app/image", "during");
        assertEquals(Optional.of("during"), get(client, "/app/image"));

        etcd.startMember(0);

        assertTrue(etcd.isMemberRunning(0));
        try (Client onlyMember0 = Client.builder().endpoints(etcd.endpoints().get(0)).build()) {
            assertEquals(Optional.of("during"), get(onlyMember0, "/app/image"),
                    "the restarted member caught up with the write it missed");
            put(onlyMember0, "/app/image", "after");
        }
        assertEquals(Optional.of("after"), get(client, "/app/image"));
    }

    @Test
    @Order(3)
    void anyMemberCanBeStoppedIncludingTheOneHoldingLeadership(EtcdFixture etcd, Client client) {
        for (int member = 0; member < etcd.memberCount(); member++) {
            etcd.stopMember(member);
            put(client, "/app/member-stopped", Integer.toString(member));
            assertEquals(Optional.of(Integer.toString(member)), get(client, "/app/member-stopped"));
            etcd.startMember(member);
        }
    }

    @Test
    @Order(4)
    void aClusterThatLostQuorumServesAgainOnceAMajorityRuns(EtcdFixture etcd, Client client) {
        put(client, "/app/quorum", "kept");
        etcd.stopMember(1);
        etcd.stopMember(2);
        assertFalse(etcd.isMemberRunning(1));
        assertFalse(etcd.isMemberRunning(2));

        etcd.startMember(1);

        assertEquals(Optional.of("kept"), get(client, "/app/quorum"));
        etcd.startMember(2);
        assertTrue(etcd.isMemberRunning(2));
    }

    @Test
    @Order(5)
    void killAndStartOfTheWholeClusterKeepsTheData(EtcdFixture etcd, Client client) {
        put(client, "/app/image", "survives");

        etcd.kill();

        for (int member = 0; member < etcd.memberCount(); member++) {
            assertFalse(etcd.isMemberRunning(member));
        }
        etcd.start();
        assertEquals(Optional.of("survives"), get(client, "/app/image"));
    }
}
