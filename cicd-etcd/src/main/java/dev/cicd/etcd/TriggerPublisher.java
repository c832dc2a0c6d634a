package dev.cicd.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cicd.core.CicdException;
import dev.cicd.core.TriggerSignatures;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.JetcdTransport;
import dev.cicd.etcd.internal.KvTransport;
import dev.cicd.etcd.internal.OutcomeWait;
import dev.cicd.etcd.internal.RunnerLiveness;
import dev.cicd.etcd.internal.StatusJson;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CI side: writes a trigger and, if asked, waits for the outcome recorded for exactly that write.
 *
 * <p>Waiting watches the status prefix starting at the put's revision (status records are written
 * after the trigger, so none can be missed) and matches the record's key and revision; there is no
 * polling loop. When that history was compacted meanwhile, the stored records are read once and the
 * watch continues after the read; when the record is not among them but a later put of the same key has a
 * recorded outcome, the record was pruned ({@link PrunedOutcomeException}) instead of waiting for the timeout.
 * In-progress records ({@link ProgressRecord}) written at the same key while the action runs are handed to a
 * listener. On a jetcd client or on etcd's JSON gateway ({@link #builder(EtcdGateway)}). With
 * {@link Builder#requireRunner} the wait fails fast
 * ({@link NoRunnerException}) when no runner of the group campaigns for its leadership.
 */
public final class TriggerPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerPublisher.class);

    private final KvTransport kv;
    private final String statusPrefix;
    private final TriggerSignatures.Signer signer;
    private final Duration validFor;
    private final String runnerGroup;
    private final String electionPrefix;
    private final Duration runnerGrace;

    private TriggerPublisher(Builder b) {
        this.runnerGroup = b.runnerGroup;
        this.electionPrefix = b.electionPrefix;
        this.runnerGrace = b.runnerGrace;
        this.kv = b.kv.apply(b.requestTimeout);
        this.statusPrefix = b.statusPrefix;
        this.signer = b.signer;
        this.validFor = b.validFor;
    }

    /** A publisher on a jetcd client (gRPC); the client stays the caller's to close. */
    public static Builder builder(Client client) {
        Objects.requireNonNull(client, "client");
        return new Builder(timeout -> new JetcdTransport(client, timeout));
    }

    /** A publisher on any transport (tests). */
    static Builder builder(KvTransport transport) {
        return new Builder(timeout -> transport);
    }

    /**
     * A publisher on etcd's v3 JSON gateway: plain HTTP/1.1, no gRPC, so a short-lived process (a CI job's
     * {@code cicd trigger --wait}) starts in a fraction of the time. The gateway stays the caller's to close.
     */
    public static Builder builder(EtcdGateway gateway) {
        Objects.requireNonNull(gateway, "gateway");
        return new Builder(gateway::transport);
    }

    /**
     * Puts a JSON trigger value; with a {@linkplain Builder#signer signer}, signed: the {@code cicd-sig-v1}
     * header line, then the JSON as given.
     *
     * @return the revision of the put
     * @throws IllegalArgumentException when {@code json} is not one valid JSON value (nothing is put); the
     *                                  message names the key
     * @throws CicdException            {@link CicdException.Code#SOURCE} when etcd fails
     */
    public long publish(String key, String json) {
        requireKey(key);
        Objects.requireNonNull(json, "json");
        try {
            if (json.isBlank()) {
                throw new IllegalArgumentException("value for " + key + " is empty, expected JSON; nothing was put");
            }
            StatusJson.validate(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value for " + key + " is not valid JSON (" + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()) + "); nothing was put", e);
        }
        byte[] value = json.getBytes(StandardCharsets.UTF_8);
        if (signer != null) {
            value = TriggerSignatures.sign(key, value, signer, Instant.now().plus(validFor));
        }
        long revision = kv.put(key, value);
        LOG.debug("published trigger {} at revision {}", key, revision);
        return revision;
    }

    /** {@link #publishAndAwait(String, String, Duration, LongConsumer, Consumer)} with no one to tell. */
    public PublishResult publishAndAwait(String key, String json, Duration timeout) {
        return publishAndAwait(key, json, timeout, r -> { }, p -> { });
    }

    /**
     * Watches the status records, puts the trigger ({@link #publish}), then waits for the outcome of exactly
     * this put. The watch exists before the put, so the outcome arrives as soon as a runner writes it; a watch
     * opened after the put, from its revision, waits for etcd's catch-up of past revisions (up to 100 ms) before
     * it delivers anything, which {@link #awaitOutcome} pays. When the watch ends early (etcd restarted or
     * compacted), the rest of the wait is {@link #awaitOutcome} from the put's revision.
     *
     * @param onPublished told the put's revision, before any progress
     * @param onProgress  told each in-progress record of the put (on the watch's thread; keep it short)
     * @return the record, or a {@linkplain PublishResult#timedOut() timed-out} result
     * @throws NoRunnerException with {@link Builder#requireRunner}, when no runner of the group was alive for
     *                           the grace period
     * @throws CicdException     {@link CicdException.Code#SOURCE} when etcd fails
     */
    public PublishResult publishAndAwait(String key, String json, Duration timeout, LongConsumer onPublished,
            Consumer<ProgressRecord> onProgress) {
        requireKey(key);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(onPublished, "onPublished");
        Objects.requireNonNull(onProgress, "onProgress");
        return waiting().aroundPut(key, timeout, () -> publish(key, json), onPublished, onProgress);
    }

    /**
     * Waits for the status record of {@code key} at {@code revision}.
     *
     * @return the record, or a {@linkplain PublishResult#timedOut() timed-out} result
     */
    public PublishResult awaitOutcome(String key, long revision, Duration timeout) {
        return awaitOutcome(key, revision, timeout, p -> { });
    }

    /**
     * Waits for the status record of {@code key} at {@code revision}, telling {@code onProgress} each
     * in-progress record written for it meanwhile (on the watch's thread; keep it short).
     *
     * @return the record, or a {@linkplain PublishResult#timedOut() timed-out} result
     * @throws PrunedOutcomeException when the record is gone (pruned, its history compacted) and a later put of
     *                                 the key has an outcome already
     * @throws NoRunnerException with {@link Builder#requireRunner}, when no runner of the group was alive for
     *                           the grace period
     * @throws CicdException     {@link CicdException.Code#SOURCE} when etcd cannot be read
     */
    public PublishResult awaitOutcome(String key, long revision, Duration timeout,
            Consumer<ProgressRecord> onProgress) {
        Objects.requireNonNull(onProgress, "onProgress");
        requireKey(key);
        Objects.requireNonNull(timeout, "timeout");
        if (revision <= 0) {
            throw new IllegalArgumentException("revision must be > 0, was " + revision);
        }
        return waiting().afterPut(key, revision, timeout, onProgress);
    }

    private OutcomeWait waiting() {
        return new OutcomeWait(kv, statusPrefix, () -> runnerGrace == null ? null
                : new RunnerLiveness(kv, electionPrefix, runnerGroup, runnerGrace));
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("trigger key must not be blank, was '" + key + "'");
        }
    }

    public static final class Builder {
        private final java.util.function.Function<Duration, KvTransport> kv;
        private String statusPrefix = EtcdState.DEFAULT_STATUS_PREFIX;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private TriggerSignatures.Signer signer;
        private Duration validFor;
        private String runnerGroup;
        private String electionPrefix = LeaderElection.DEFAULT_ELECTION_ROOT;
        private Duration runnerGrace;

        private Builder(java.util.function.Function<Duration, KvTransport> kv) {
            this.kv = kv;
        }

        /** Where runners write status records; {@code /cicd/.status} by default. */
        public Builder statusPrefix(String prefix) {
            this.statusPrefix = Checks.normalizePrefix(prefix, "status prefix");
            return this;
        }

        /**
         * Signs every value with {@code signer} ({@code cicd-sig-v1}), valid for {@code validFor} from the put
         * (a runner rejects it when it reads it later, or when {@code validFor} exceeds its
         * {@code verify.maxValidity}, 15 minutes by default).
         */
        public Builder signer(TriggerSignatures.Signer signer, Duration validFor) {
            this.signer = Objects.requireNonNull(signer, "signer");
            this.validFor = Checks.positive(validFor, "validFor");
            return this;
        }

        /**
         * Makes waiting fail fast with {@link NoRunnerException} when no runner of {@code group} is alive: no
         * candidate key under {@code <electionPrefix>/<group>/} for {@code grace} (checked twice a second).
         * Off by default.
         */
        public Builder requireRunner(String group, Duration grace) {
            this.runnerGroup = Checks.group(group);
            this.runnerGrace = Checks.positive(grace, "grace");
            return this;
        }

        /**
         * {@link #requireRunner} for any group: fails fast when no key exists under {@code <electionPrefix>/}
         * (no runner at all) for {@code grace}. For a CI that does not know the runners' group.
         */
        public Builder requireAnyRunner(Duration grace) {
            this.runnerGroup = null;
            this.runnerGrace = Checks.positive(grace, "grace");
            return this;
        }

        /** The parent of election keys, as given to {@link LeaderElection.Builder#electionPrefix}; {@code /cicd/.election} by default. */
        public Builder electionPrefix(String prefix) {
            this.electionPrefix = Checks.normalizePrefix(prefix, "election prefix");
            return this;
        }

        /** How long one etcd request may take; 5 s by default. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Checks.positive(timeout, "requestTimeout");
            return this;
        }

        public TriggerPublisher build() {
            return new TriggerPublisher(this);
        }
    }
}
