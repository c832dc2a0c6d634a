package dev.cicd.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import java.util.Objects;
import java.util.Optional;

/**
 * What state writes compare against so that only the current leader can write: the leader key and its
 * create revision. A write whose compare fails was made by a deposed leader and is not applied.
 */
public interface Fence {

    /** The token of the leadership currently held, or empty when this runner is not the leader. */
    Optional<Token> token();

    /** Who holds (or held) the fence, for messages: "runner r1 of group g". */
    String describe();

    /** Told when etcd rejected a write made with {@code token}: the leadership is gone. */
    void rejected(Token token);

    /** The leader key and the revision it was created at (one leadership term). */
    record Token(ByteSequence key, long createRevision) {
        public Token {
            Objects.requireNonNull(key, "key");
            if (createRevision <= 0) {
                throw new IllegalArgumentException("createRevision must be > 0, was " + createRevision);
            }
        }
    }
}
