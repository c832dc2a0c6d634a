package dev.cicd.k8s.internal;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** One-line descriptions of API errors for outcome reasons. */
public final class ApiErrors {

    private ApiErrors() {
    }

    public static String describe(KubernetesClientException e) {
        String msg = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage() : e.getMessage();
        if (msg == null && e.getCause() != null) {
            msg = e.getCause().toString();
        }
        return (e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "API request failed: ") + msg;
    }
}
