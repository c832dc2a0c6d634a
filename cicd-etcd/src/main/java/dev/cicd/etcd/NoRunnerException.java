package dev.cicd.etcd;

import dev.cicd.core.CicdException;

/**
 * No runner of the group a trigger waits on is alive: no candidate key under its election prefix
 * for the whole grace period ({@link TriggerPublisher.Builder#requireRunner}). Code {@link Code#SOURCE}.
 */
public final class NoRunnerException extends CicdException {

    public NoRunnerException(String message) {
        super(Code.SOURCE, message);
    }
}
