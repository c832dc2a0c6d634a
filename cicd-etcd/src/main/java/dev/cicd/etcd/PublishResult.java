package dev.cicd.etcd;

import dev.cicd.core.Outcome;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link TriggerPublisher#publishAndAwait} found for one published trigger: the status record
 * written for exactly that key and revision, or none within the timeout.
 *
 * @param key      the trigger key
 * @param revision the revision of the put
 * @param status   the status record, empty when it did not appear in time
 */
public record PublishResult(String key, long revision, Optional<StatusRecord> status) {

    public PublishResult {
        Objects.requireNonNull(key, "key");
        status = status == null ? Optional.empty() : status;
        if (revision <= 0) {
            throw new IllegalArgumentException("revision must be > 0, was " + revision);
        }
        if (status.isPresent() && (status.get().revision() != revision || !status.get().key().equals(key))) {
            throw new IllegalArgumentException("status record " + status.get().key() + "@" + status.get().revision()
                    + " does not belong to " + key + "@" + revision);
        }
    }

    public static PublishResult completed(StatusRecord record) {
        return new PublishResult(record.key(), record.revision(), Optional.of(record));
    }

    public static PublishResult timedOut(String key, long revision) {
        return new PublishResult(key, revision, Optional.empty());
    }

    /** Whether no outcome was recorded within the timeout. */
    public boolean timedOut() {
        return status.isEmpty();
    }

    /** The outcome, when one was recorded. */
    public Optional<Outcome.Kind> kind() {
        return status.map(StatusRecord::outcome);
    }

    /** The recorded reason, or a sentence saying that nothing was recorded in time. */
    public String reason() {
        return status.map(StatusRecord::reason)
                .orElse("no outcome was recorded for " + key + " at revision " + revision + " before the timeout");
    }

    /** The watch that processed the trigger, when one did. */
    public Optional<String> watch() {
        return status.map(StatusRecord::watch);
    }

    /** Applied or in sync. */
    public boolean succeeded() {
        return kind().map(k -> k == Outcome.Kind.APPLIED || k == Outcome.Kind.IN_SYNC).orElse(false);
    }
}
