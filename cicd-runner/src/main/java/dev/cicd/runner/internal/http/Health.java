package dev.cicd.runner.internal.http;

import java.util.Map;

/**
 * A health snapshot.
 *
 * @param alive   watches alive and etcd reachable (for {@code /healthz})
 * @param ready   started and serving: leading with every watch watching, or standing by (for {@code /readyz})
 * @param details what the endpoints print as JSON
 */
public record Health(boolean alive, boolean ready, Map<String, Object> details) {
    public Health {
        details = Map.copyOf(details);
    }
}
