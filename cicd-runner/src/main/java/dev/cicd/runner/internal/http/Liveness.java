package dev.cicd.runner.internal.http;

import java.util.Map;

/**
 * A liveness snapshot, for {@code /livez}: whether the process is alive and not wedged. Asks nothing of
 * etcd, so an etcd outage does not make a liveness probe restart the runner.
 *
 * @param live    false only when the runner is wedged (see {@code InFlightActions}) or threads deadlock
 * @param details what the endpoint prints as JSON
 */
public record Liveness(boolean live, Map<String, Object> details) {
    public Liveness {
        details = Map.copyOf(details);
    }
}
