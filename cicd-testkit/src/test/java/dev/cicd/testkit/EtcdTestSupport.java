package dev.cicd.testkit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocking put/get helpers for the etcd fixture tests. */
final class EtcdTestSupport {

    private EtcdTestSupport() {
    }

    static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** Puts and returns the revision of the put. */
    static long put(Client client, String key, String value) {
        return await(client.getKVClient().put(bytes(key), bytes(value))).getHeader().getRevision();
    }

    static Optional<String> get(Client client, String key) {
        GetResponse response = await(client.getKVClient().get(bytes(key)));
        return response.getKvs().stream().findFirst().map(kv -> kv.getValue().toString(StandardCharsets.UTF_8));
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
