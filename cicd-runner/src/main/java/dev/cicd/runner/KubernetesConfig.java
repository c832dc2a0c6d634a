package dev.cicd.runner;

import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.time.Duration;

/**
 * The {@code kubernetes} section: how to reach the cluster for {@code kubernetes} actions. With nothing
 * set, the usual discovery applies ({@code KUBECONFIG}, {@code ~/.kube/config}, then the in-cluster
 * service account).
 *
 * @param kubeconfig     a kubeconfig file
 * @param context        the context to use in it, {@code ""} for its current context
 * @param inCluster      use the pod's service account
 * @param url            API server URL (with {@code token})
 * @param token          bearer token for {@code url}
 * @param requestTimeout timeout of one API request, default 30 s
 */
public record KubernetesConfig(String kubeconfig, String context, Boolean inCluster, String url, String token,
                               Duration requestTimeout) {

    public KubernetesConfig {
        kubeconfig = kubeconfig == null ? "" : kubeconfig;
        context = context == null ? "" : context;
        inCluster = inCluster != null && inCluster;
        url = url == null ? "" : url;
        token = token == null ? "" : token;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(30) : requestTimeout;
        Checks.positive("requestTimeout", requestTimeout);
        int ways = (kubeconfig.isEmpty() ? 0 : 1) + (inCluster ? 1 : 0) + (url.isEmpty() ? 0 : 1);
        if (ways > 1) {
            throw new KeyProblem(inCluster ? "inCluster" : "url", "choose one of kubeconfig, inCluster and url");
        }
        if (!url.isEmpty()) {
            Checks.url("url", url);
        }
        if (!token.isEmpty() && url.isEmpty()) {
            throw new KeyProblem("token", "a token needs url");
        }
        if (!context.isEmpty() && (inCluster || !url.isEmpty())) {
            throw new KeyProblem("context", "context applies to a kubeconfig only");
        }
    }

    @Override
    public String toString() {
        return "Kubernetes[kubeconfig=" + kubeconfig + ", context=" + context + ", inCluster=" + inCluster
                + ", url=" + url + ", token=" + (token.isEmpty() ? "" : "***") + ", requestTimeout=" + requestTimeout + "]";
    }
}
