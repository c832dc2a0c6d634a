package dev.cicd.etcd;

/**
 * Told when this runner wins or loses the leadership of its group. Called on the election's thread,
 * one call at a time; {@link #lost} comes before the election resigns in etcd, so a pipeline closed
 * there can still commit its in-flight event when the runner resigns (not when the lease was lost).
 */
public interface LeadershipListener {

    /** This runner is now the leader. */
    default void elected(LeaderElection election) {
    }

    /** This runner is no longer the leader; {@code reason} says why (resigned, lease lost, ...). */
    default void lost(LeaderElection election, String reason) {
    }
}
