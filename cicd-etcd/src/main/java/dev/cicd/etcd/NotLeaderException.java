package dev.cicd.etcd;

import dev.cicd.core.CicdException;

/**
 * A state write was refused because this runner does not hold the group's leadership (any more): the
 * fencing compare on the leader key failed, or the runner was not elected. Code
 * {@link CicdException.Code#FENCED}; the message names the runner, the group and the refused write.
 */
public class NotLeaderException extends CicdException {

    public NotLeaderException(String message) {
        super(Code.FENCED, message);
    }
}
