package dev.cicd.core;

import java.util.Objects;

/**
 * Something a {@link TriggerSource} has to report that is not an event: revisions that could not be
 * replayed, a store whose data was reset, a lost or recovered connection.
 *
 * @param watch          the watch concerned
 * @param kind           what happened
 * @param revision       the store revision the notice refers to (0 when unknown)
 * @param lostRevisions  for {@link Kind#GAP}: how many revisions could not be replayed; else 0
 * @param message        a sentence for people
 */
public record SourceNotice(String watch, Kind kind, long revision, long lostRevisions, String message) {

    public enum Kind {
        /** Revisions after the checkpoint were compacted away: only the current values were delivered. */
        GAP,
        /** The store's revision went backwards or its cluster id changed: its data was reset. */
        RESET,
        /** The source lost its connection or its watch failed; it keeps retrying. */
        DISCONNECTED,
        /** The source is watching again after a {@link #DISCONNECTED}. */
        RECONNECTED
    }

    public SourceNotice {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(kind, "kind");
        message = message == null ? "" : message;
        if (lostRevisions < 0) {
            throw new IllegalArgumentException("lostRevisions must be >= 0, was " + lostRevisions);
        }
    }
}
