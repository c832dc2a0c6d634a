package dev.cicd.runner.internal.http;

import java.util.Map;

/**
 * A readiness snapshot, for {@code /readyz} (and its alias {@code /healthz}).
 *
 * @param ready   started, etcd reachable, no watch halted, and leading with every watch watching or
 *                standing by
 * @param details what the endpoints print as JSON
 */
public record Health(boolean ready, Map<String, Object> details) {
    public Health {
        details = Map.copyOf(details);
    }
}
