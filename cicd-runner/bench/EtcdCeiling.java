import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.IntFunction;

/**
 * What etcd alone does with a catch-up's minimum per event, on the machine and etcd of a bench run (a bench main,
 * run by shards.sh with the distribution's lib/ on the class path: java -cp 'lib/*' EtcdCeiling.java ENDPOINT N):
 * N status-sized records and N marks put in transactions of 128 operations, 4 at once (what a runner's commits
 * write per event at least), and N single-key reads, 16 at once, then as transactions of 64 gets, 4 at once (a
 * fingerprint read per event). Prints one line per measure with events/s; keys under /cicd-bench-ceiling/.
 */
public class EtcdCeiling {

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Sends n requests made by request(i), at most inFlight at once; returns the seconds taken. */
    private static double timed(int n, int inFlight, IntFunction<CompletableFuture<?>> request) throws Exception {
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<?>> sent = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            slots.acquire();
            sent.add(request.apply(i).whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).get();
        return (System.nanoTime() - t0) / 1e9;
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[1]);
        String root = "/cicd-bench-ceiling/" + System.nanoTime();
        // a status record as a runner writes it for an in-sync event (about 330 bytes)
        ByteSequence record = bytes("{\"outcome\":\"in-sync\",\"watch\":\"bench\",\"key\":\"/cicd/bench/t1234\","
                + "\"revision\":123456,\"reason\":\"\",\"fingerprint\":\"sha256:" + "0123456789abcdef".repeat(4) + "\","
                + "\"started\":\"2026-11-27T21:52:32.562Z\",\"finished\":\"2026-11-27T21:52:32.599Z\",\"runner\":\"b1\"}");
        try (Client client = Client.builder().endpoints(args[0]).build()) {
            KV kv = client.getKVClient();
            kv.put(bytes(root + "/warm-up"), record).get();
            int perTxn = 64;
            double writes = timed((n + perTxn - 1) / perTxn, 4, t -> {
                List<Op> ops = new ArrayList<>();
                for (int i = t * perTxn; i < Math.min(n, (t + 1) * perTxn); i++) {
                    ops.add(Op.put(bytes(root + "/status/" + i), record, PutOption.DEFAULT));
                    ops.add(Op.put(bytes(root + "/mark/" + i), ByteSequence.EMPTY, PutOption.DEFAULT));
                }
                return kv.txn().Then(ops.toArray(new Op[0])).commit();
            });
            System.out.printf("records and marks, txns of 128 ops, 4 at once: %d events in %.2f s, %,.0f events/s%n",
                    n, writes, n / writes);
            double single = timed(n, 16, i -> kv.get(bytes(root + "/status/" + i)));
            System.out.printf("single gets, 16 at once: %d in %.2f s, %,.0f reads/s%n", n, single, n / single);
            double folded = timed((n + perTxn - 1) / perTxn, 4, t -> {
                List<Op> ops = new ArrayList<>();
                for (int i = t * perTxn; i < Math.min(n, (t + 1) * perTxn); i++) {
                    ops.add(Op.get(bytes(root + "/status/" + i), GetOption.DEFAULT));
                }
                return kv.txn().Then(ops.toArray(new Op[0])).commit();
            });
            System.out.printf("gets in txns of 64, 4 at once: %d in %.2f s, %,.0f reads/s%n", n, folded, n / folded);
            kv.delete(bytes(root + "/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get();
        }
    }
}
