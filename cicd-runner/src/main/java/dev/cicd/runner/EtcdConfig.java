package dev.cicd.runner;

import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.net.URI;
import java.util.List;

/**
 * The {@code etcd} section: where the triggers, checkpoints and status records live.
 *
 * @param endpoints client URLs, default {@code http://127.0.0.1:2379}
 * @param user      user name for etcd authentication, {@code ""} for none
 * @param password  its password
 * @param tls       TLS files, all {@code ""} for plain HTTP
 */
public record EtcdConfig(List<String> endpoints, String user, String password, Tls tls) {

    public EtcdConfig {
        endpoints = List.copyOf(endpoints == null || endpoints.isEmpty() ? List.of("http://127.0.0.1:2379") : endpoints);
        for (String e : endpoints) {
            Checks.url("endpoints", e);
        }
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        if (!password.isEmpty() && user.isEmpty()) {
            throw new KeyProblem("user", "a password is set but no user");
        }
        tls = tls == null ? new Tls(null, null, null) : tls;
        if (tls.enabled() && endpoints.stream().anyMatch(e -> e.startsWith("http://"))) {
            throw new KeyProblem("endpoints", "tls is configured but an endpoint uses http://; use https://");
        }
    }

    /** The endpoints as URIs. */
    public List<URI> endpointUris() {
        return endpoints.stream().map(URI::create).toList();
    }

    @Override
    public String toString() {
        return "Etcd[endpoints=" + endpoints + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                + ", tls=" + tls + "]";
    }

    /**
     * TLS files for etcd.
     *
     * @param ca   CA certificate (PEM) that signed the server's certificate
     * @param cert client certificate (PEM), with {@code key}
     * @param key  client private key (PEM, PKCS#8)
     */
    public record Tls(String ca, String cert, String key) {
        public Tls {
            ca = ca == null ? "" : ca;
            cert = cert == null ? "" : cert;
            key = key == null ? "" : key;
            if (cert.isEmpty() != key.isEmpty()) {
                throw new KeyProblem(cert.isEmpty() ? "cert" : "key", "cert and key must be set together");
            }
        }

        /** Whether any TLS file is set. */
        public boolean enabled() {
            return !ca.isEmpty() || !cert.isEmpty();
        }
    }
}
