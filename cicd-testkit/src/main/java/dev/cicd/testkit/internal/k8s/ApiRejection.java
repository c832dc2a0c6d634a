package dev.cicd.testkit.internal.k8s;

/**
 * A request the simulated API server refuses: {@link SimulatedApiDispatcher} answers it with a
 * Kubernetes {@code Status} of this HTTP code, reason and message.
 */
final class ApiRejection extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int code;
    private final String reason;

    ApiRejection(int code, String reason, String message) {
        super(message);
        this.code = code;
        this.reason = reason;
    }

    static ApiRejection notFound(ApiPath api) {
        return new ApiRejection(404, "NotFound", api.plural() + " \"" + api.name() + "\" not found");
    }

    int code() {
        return code;
    }

    String reason() {
        return reason;
    }
}
