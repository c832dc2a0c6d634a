package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Fingerprint reads asked for at once go to etcd as a few transactions of gets, each read with its own key's value. */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoalescedGetsTest {

    EtcdFixture etcd;

    /** The client's KV, counting the requests sent by method name ("get", "txn"); failing every txn when asked. */
    private static KV counting(KV real, Map<String, AtomicInteger> calls, boolean failTxns) {
        return (KV) Proxy.newProxyInstance(KV.class.getClassLoader(), new Class<?>[] {KV.class}, (proxy, m, args) -> {
            calls.computeIfAbsent(m.getName(), k -> new AtomicInteger()).incrementAndGet();
            if (failTxns && m.getName().equals("txn")) {
                return failing();
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static Txn failing() {
        return (Txn) Proxy.newProxyInstance(Txn.class.getClassLoader(), new Class<?>[] {Txn.class},
                (proxy, m, args) -> m.getName().equals("commit")
                        ? CompletableFuture.failedFuture(new IllegalStateException("etcd went away"))
                        : proxy);
    }

    private static int requests(Map<String, AtomicInteger> calls) {
        return calls.getOrDefault("get", new AtomicInteger()).get() + calls.getOrDefault("txn", new AtomicInteger()).get();
    }

    @Test
    void readsAskedForAtOnceGoOutAsAFewTransactionsEachWithItsOwnKeysValue() throws Exception {
        String root = "/it/coalesced-" + System.nanoTime();
        for (int i = 0; i < 200; i++) {
            etcd.client().getKVClient().put(Etcd.bytes(root + "/k" + i), Etcd.bytes("v" + i)).get(10, TimeUnit.SECONDS);
        }
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        CoalescedGets gets = new CoalescedGets(counting(etcd.client().getKVClient(), calls, false), 64, 1);
        List<CompletableFuture<Optional<KeyValue>>> asked = new ArrayList<>();
        for (int i = 0; i < 250; i++) { // 200 keys that exist, 50 that do not
            asked.add(gets.get(Etcd.bytes(root + "/k" + i)));
        }
        for (int i = 0; i < 250; i++) {
            Optional<KeyValue> kv = asked.get(i).get(10, TimeUnit.SECONDS);
            assertEquals(i < 200 ? Optional.of("v" + i) : Optional.empty(), kv.map(x -> Etcd.text(x.getValue())), "key " + i);
        }
        assertTrue(requests(calls) <= 12, "250 reads took " + calls + " (one transaction holds up to 64)");
    }

    @Test
    void aLoneReadGoesOutAtOnceAsOneGet() throws Exception {
        String key = "/it/coalesced-lone-" + System.nanoTime();
        etcd.client().getKVClient().put(Etcd.bytes(key), Etcd.bytes("x")).get(10, TimeUnit.SECONDS);
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        CoalescedGets gets = new CoalescedGets(counting(etcd.client().getKVClient(), calls, false), 64, 4);
        assertEquals("x", Etcd.text(gets.get(Etcd.bytes(key)).get(10, TimeUnit.SECONDS).orElseThrow().getValue()));
        assertEquals(1, calls.get("get").get());
        assertEquals(null, calls.get("txn"));
    }

    @Test
    void aFailedTransactionFailsEachOfItsReadsAndTheNextReadsStillGoOut() throws Exception {
        String key = "/it/coalesced-failed-" + System.nanoTime();
        etcd.client().getKVClient().put(Etcd.bytes(key), Etcd.bytes("y")).get(10, TimeUnit.SECONDS);
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        CoalescedGets gets = new CoalescedGets(counting(etcd.client().getKVClient(), calls, true), 64, 1);
        List<CompletableFuture<Optional<KeyValue>>> asked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            asked.add(gets.get(Etcd.bytes(key)));
        }
        int failed = 0;
        for (CompletableFuture<Optional<KeyValue>> f : asked) {
            try {
                assertEquals("y", Etcd.text(f.get(10, TimeUnit.SECONDS).orElseThrow().getValue()));
            } catch (ExecutionException e) {
                assertEquals("etcd went away", e.getCause().getMessage());
                failed++;
            }
        }
        assertTrue(failed > 0, "the reads folded into the failed transaction failed");
        // the slot of the failed transaction is free again: a lone read still goes out
        assertEquals("y", Etcd.text(gets.get(Etcd.bytes(key)).get(10, TimeUnit.SECONDS).orElseThrow().getValue()));
        assertThrows(IllegalArgumentException.class, () -> new CoalescedGets(etcd.client().getKVClient(), 0, 1));
    }
}
