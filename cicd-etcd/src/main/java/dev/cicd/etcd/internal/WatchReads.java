package dev.cicd.etcd.internal;

import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;

/**
 * The range reads one watch makes besides watching: its keys (now or at a revision), the store's header,
 * and the keys of the whole key space changed in a revision range. Each waits at most the request timeout
 * and fails with a {@link dev.cicd.core.CicdException} naming the watch.
 */
final class WatchReads {

    private final WatchSpec spec;
    private final KeyRange range;
    private final Client client;
    private final Duration requestTimeout;

    WatchReads(WatchSpec spec, KeyRange range, Client client, Duration requestTimeout) {
        this.spec = spec;
        this.range = range;
        this.client = client;
        this.requestTimeout = requestTimeout;
    }

    KeyRange range() {
        return range;
    }

    /** The watch's keys at {@code revision}, or now when it is 0. */
    GetResponse read(long revision) {
        GetOption.Builder b = GetOption.builder().withRange(range.end());
        if (revision > 0) {
            b.withRevision(revision);
        }
        return Etcd.await(client.getKVClient().get(range.start(), b.build()), requestTimeout,
                () -> "reading the keys of watch " + spec.name() + " " + range.describe()
                        + (revision > 0 ? " at revision " + revision : ""));
    }

    /** The store's current header (cluster id, revision), from a count-only read of the watch's keys. */
    Response.Header readHeader() {
        return Etcd.await(client.getKVClient().get(range.start(), GetOption.builder()
                        .withRange(range.end()).withCountOnly(true).build()), requestTimeout,
                () -> "reading the revision of etcd for watch " + spec.name()).getHeader();
    }

    /** The keys (without values) of the whole key space at {@code upTo} last modified in (after, upTo]. */
    List<KeyValue> keysModifiedIn(long after, long upTo) {
        return Etcd.await(client.getKVClient().get(Etcd.ALL_KEYS, GetOption.builder()
                        .withRange(Etcd.ALL_KEYS)
                        .withRevision(upTo)
                        .withKeysOnly(true)
                        .withMinModRevision(after + 1)
                        .withMaxModRevision(upTo)
                        .build()),
                requestTimeout, () -> "counting surviving revisions for watch " + spec.name()).getKvs();
    }
}
