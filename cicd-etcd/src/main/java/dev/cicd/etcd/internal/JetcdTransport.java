package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@link KvTransport} on a jetcd client (gRPC). Closing it leaves the client open: its owner closes it. */
public final class JetcdTransport implements KvTransport {

    private final Client client;
    private final Duration requestTimeout;

    public JetcdTransport(Client client, Duration requestTimeout) {
        this.client = client;
        this.requestTimeout = requestTimeout;
    }

    @Override
    public long put(String key, byte[] value) {
        return Etcd.await(client.getKVClient().put(Etcd.bytes(key), ByteSequence.from(value)), requestTimeout,
                () -> "putting " + key).getHeader().getRevision();
    }

    @Override
    public Range get(String prefix) {
        ByteSequence p = Etcd.bytes(prefix);
        GetResponse r = Etcd.await(client.getKVClient().get(p, GetOption.builder().withRange(Etcd.prefixEnd(p)).build()),
                requestTimeout, () -> "reading the keys under " + prefix);
        List<Kv> kvs = new ArrayList<>(r.getKvs().size());
        for (KeyValue kv : r.getKvs()) {
            kvs.add(new Kv(Etcd.text(kv.getKey()), Etcd.text(kv.getValue())));
        }
        return new Range(kvs, r.getHeader().getRevision());
    }

    @Override
    public long count(String prefix) {
        ByteSequence p = Etcd.bytes(prefix);
        return Etcd.await(client.getKVClient().get(p, GetOption.builder().withRange(Etcd.prefixEnd(p))
                .withCountOnly(true).build()), requestTimeout, () -> "counting the keys under " + prefix).getCount();
    }

    @Override
    public Watching watch(String prefix, long fromRevision, WatchListener listener) {
        return watch(prefix, WatchOption.builder().withRevision(fromRevision), listener, null);
    }

    @Override
    public Watching watchFromNow(String prefix, WatchListener listener) {
        CountDownLatch created = new CountDownLatch(1);
        Watching w = watch(prefix, WatchOption.builder().withCreateNotify(true), listener, created);
        try {
            if (!created.await(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                w.close();
                throw new CicdException(CicdException.Code.SOURCE, "watching the keys under " + prefix
                        + ": etcd did not confirm the watch within " + requestTimeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            w.close();
            throw CicdException.interrupted("watching the keys under " + prefix, e);
        }
        return w;
    }

    private Watching watch(String prefix, WatchOption.Builder option, WatchListener listener, CountDownLatch created) {
        ByteSequence p = Etcd.bytes(prefix);
        Watch.Watcher w = client.getWatchClient().watch(p, option.withRange(Etcd.prefixEnd(p)).build(),
                Watch.listener(response -> {
                    if (created != null && response.isCreatedNotify()) {
                        created.countDown();
                        return;
                    }
                    List<Kv> puts = new ArrayList<>();
                    for (WatchEvent e : response.getEvents()) {
                        if (e.getEventType() == WatchEvent.EventType.PUT) {
                            puts.add(new Kv(Etcd.text(e.getKeyValue().getKey()), Etcd.text(e.getKeyValue().getValue())));
                        }
                    }
                    if (!puts.isEmpty()) {
                        listener.puts(puts);
                    }
                }, error -> {
                    Throwable c = Etcd.unwrap(error);
                    listener.ended(c instanceof CompactedException ? End.COMPACTED
                            : Etcd.isClientClosed(c) ? End.CLOSED : End.FAILED, c);
                }));
        return w::close;
    }

    @Override
    public String describe() {
        return "etcd (gRPC)";
    }

    @Override
    public void close() {
        // the client belongs to the caller
    }
}
