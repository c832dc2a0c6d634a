package dev.cicd.etcd;

import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.KvTransport;
import dev.cicd.etcd.internal.gateway.GatewayTls;
import dev.cicd.etcd.internal.gateway.GatewayTransport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * etcd's v3 JSON gateway (served by etcd 3.4 and later on its client port) as a connection for
 * {@link TriggerPublisher#builder(EtcdGateway)}: plain HTTP/1.1 over a socket, no gRPC stack, so a
 * process that only puts a trigger and waits for its outcome starts in a fraction of the time the gRPC
 * client needs (docs/benchmarks.md, "trigger --wait"). The runner itself stays on gRPC.
 *
 * <pre>
 *   try (EtcdGateway etcd = EtcdGateway.builder().endpoints(List.of(URI.create("http://127.0.0.1:2379"))).build()) {
 *       PublishResult r = TriggerPublisher.builder(etcd).build().publishAndAwait(key, json, Duration.ofMinutes(5));
 *   }
 * </pre>
 *
 * Nothing is contacted before the first request. A request that reaches an endpoint without the gateway
 * (HTTP 404, or no JSON) fails with {@link #isGatewayMissing} true, before anything was written.
 */
public final class EtcdGateway implements AutoCloseable {

    private final List<URI> endpoints;
    private final String user;
    private final String password;
    private final SSLContext ssl;
    private final List<GatewayTransport> open = new ArrayList<>();

    private EtcdGateway(Builder b) {
        this.endpoints = b.endpoints;
        this.user = b.user;
        this.password = b.password;
        this.ssl = b.ssl;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code t} (or a cause) says an endpoint does not serve the JSON gateway. */
    public static boolean isGatewayMissing(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GatewayTransport.GatewayMissingException) {
                return true;
            }
        }
        return false;
    }

    synchronized KvTransport transport(Duration requestTimeout) {
        GatewayTransport t = new GatewayTransport(endpoints, user, password, ssl, requestTimeout);
        open.add(t);
        return t;
    }

    /** Closes every connection and watch opened through this gateway. */
    @Override
    public synchronized void close() {
        open.forEach(GatewayTransport::close);
        open.clear();
    }

    @Override
    public String toString() {
        return "EtcdGateway" + endpoints + (user == null ? "" : " as " + user);
    }

    public static final class Builder {
        private List<URI> endpoints = List.of();
        private String user;
        private String password;
        private Path caFile;
        private Path certFile;
        private Path keyFile;
        private SSLContext ssl;

        private Builder() {
        }

        /** Client URLs ({@code http://host:port} or {@code https://host:port}), tried in order. */
        public Builder endpoints(List<URI> endpoints) {
            this.endpoints = List.copyOf(endpoints);
            return this;
        }

        /** User and password for etcd authentication (a token is fetched on the first request). */
        public Builder credentials(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** TLS files (PEM): the CA (null: the JDK's trust store), and a client certificate with its PKCS#8 key (both or neither). */
        public Builder tls(Path caFile, Path certFile, Path keyFile) {
            this.caFile = caFile;
            this.certFile = certFile;
            this.keyFile = keyFile;
            return this;
        }

        /**
         * @throws IllegalArgumentException for no endpoint, an endpoint that is not http(s)://host:port,
         *                                  http mixed with TLS settings, a certificate without its key, or a
         *                                  TLS file that cannot be read or used (the message names it)
         */
        public EtcdGateway build() {
            for (URI e : endpoints) {
                if (!("http".equals(e.getScheme()) || "https".equals(e.getScheme())) || e.getHost() == null) {
                    throw new IllegalArgumentException("etcd endpoint " + e + " is not http(s)://host:port");
                }
            }
            boolean tls = Checks.connection(endpoints, caFile, certFile, keyFile);
            ssl = tls ? GatewayTls.context(caFile, certFile, keyFile) : null;
            return new EtcdGateway(this);
        }
    }
}
