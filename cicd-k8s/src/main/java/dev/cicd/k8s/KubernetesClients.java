package dev.cicd.k8s;

import dev.cicd.core.CicdException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Builds a fabric8 {@link KubernetesClient} from one of: a kubeconfig (file or text, optional context), the
 * in-cluster service account, or an API URL with a bearer token. Nothing chosen means fabric8's own
 * discovery ({@code KUBECONFIG}, {@code ~/.kube/config}, service account). The caller closes the client.
 */
public final class KubernetesClients {

    /** Where Kubernetes mounts a pod's service-account token, CA certificate and namespace. */
    public static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    /** Default of {@link Builder#maxConcurrentRequests}: 64 (fabric8's own is 5 per host). */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 64;

    private KubernetesClients() {
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private enum Mode { AUTO, KUBECONFIG_FILE, KUBECONFIG_TEXT, IN_CLUSTER, URL }

        private Mode mode = Mode.AUTO;
        private Path kubeconfig;
        private String kubeconfigText;
        private String context;
        private Path serviceAccountDir = SERVICE_ACCOUNT_DIR;
        private String url;
        private String token;
        private Path caCertFile;
        private boolean trustCerts;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration connectionTimeout = Duration.ofSeconds(10);
        private int retries = 3;
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;

        private Builder() {
        }

        /** A kubeconfig file; its current context unless {@link #context} names another. */
        public Builder kubeconfig(Path path) {
            this.mode = Mode.KUBECONFIG_FILE;
            this.kubeconfig = Objects.requireNonNull(path, "kubeconfig");
            return this;
        }

        /** Kubeconfig YAML text (what test fixtures hand out). */
        public Builder kubeconfigText(String yaml) {
            this.mode = Mode.KUBECONFIG_TEXT;
            this.kubeconfigText = Objects.requireNonNull(yaml, "kubeconfig text");
            return this;
        }

        /** The kubeconfig context to use. */
        public Builder context(String context) {
            this.context = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * The pod's service account: {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, the token (re-read on
         * every refresh, as projected tokens rotate) and CA certificate from {@link #SERVICE_ACCOUNT_DIR}.
         */
        public Builder inCluster() {
            this.mode = Mode.IN_CLUSTER;
            return this;
        }

        /** In-cluster with the token and CA read from another directory (tests). */
        public Builder inCluster(Path serviceAccountDir) {
            this.mode = Mode.IN_CLUSTER;
            this.serviceAccountDir = Objects.requireNonNull(serviceAccountDir, "serviceAccountDir");
            return this;
        }

        /** An API server URL ({@code https://host:port}); pair with {@link #token} and {@link #caCertFile}. */
        public Builder url(String url) {
            this.mode = Mode.URL;
            this.url = Objects.requireNonNull(url, "url");
            return this;
        }

        /** Bearer token for {@link #url}. */
        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /** CA certificate (PEM) that signed the API server's certificate. */
        public Builder caCertFile(Path file) {
            this.caCertFile = Objects.requireNonNull(file, "caCertFile");
            return this;
        }

        /** Skip TLS verification (never in production). */
        public Builder trustCerts(boolean trust) {
            this.trustCerts = trust;
            return this;
        }

        /** Per-request timeout; default 30 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        /** TCP connect timeout; default 10 s. */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = positive("connectionTimeout", timeout);
            return this;
        }

        /**
         * How many requests may be in flight to the API server at once; default 64. fabric8's own default
         * is 5 per host, which queues the reads of parallel rollout waits behind each other (measured: 50
         * apps at parallelism 16 took several seconds longer).
         */
        public Builder maxConcurrentRequests(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrentRequests must be >= 1, was " + max);
            }
            this.maxConcurrentRequests = max;
            return this;
        }

        /** Retries of a failed request (fabric8 backs off exponentially); default 3, 0 for none. */
        public Builder retries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("retries must be >= 0, was " + retries);
            }
            this.retries = retries;
            return this;
        }

        /**
         * The client.
         *
         * @throws CicdException {@code CONFIG} naming what is missing or unreadable
         */
        public KubernetesClient build() {
            Config config = switch (mode) {
                case AUTO -> Config.autoConfigure(context);
                case KUBECONFIG_FILE -> fromKubeconfigFile();
                case KUBECONFIG_TEXT -> fromKubeconfigText();
                case IN_CLUSTER -> inClusterConfig();
                case URL -> urlConfig();
            };
            config.setRequestTimeout((int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis()));
            config.setConnectionTimeout((int) Math.min(Integer.MAX_VALUE, connectionTimeout.toMillis()));
            config.setRequestRetryBackoffLimit(retries);
            config.setMaxConcurrentRequests(maxConcurrentRequests);
            config.setMaxConcurrentRequestsPerHost(maxConcurrentRequests);
            if (trustCerts) {
                config.setTrustCerts(true);
            }
            return new KubernetesClientBuilder().withConfig(config).build();
        }

        private Config fromKubeconfigFile() {
            if (!Files.isReadable(kubeconfig)) {
                throw new CicdException(CicdException.Code.CONFIG, "kubeconfig " + kubeconfig + " is not a readable file");
            }
            try {
                return Config.fromKubeconfig(context, kubeconfig.toAbsolutePath().toFile());
            } catch (RuntimeException e) {
                throw new CicdException(CicdException.Code.CONFIG, "kubeconfig " + kubeconfig
                        + (context == null ? "" : " context " + context) + " is unusable: " + e.getMessage(), e);
            }
        }

        private Config fromKubeconfigText() {
            try {
                if (context == null) {
                    return Config.fromKubeconfig(kubeconfigText);
                }
                // fabric8 selects a context only for a file: write the text to a private temporary one
                Path tmp = Files.createTempFile("cicd-kubeconfig", ".yaml");
                tmp.toFile().deleteOnExit();
                Files.writeString(tmp, kubeconfigText, StandardCharsets.UTF_8);
                try {
                    return Config.fromKubeconfig(context, tmp.toFile());
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new CicdException(CicdException.Code.CONFIG, "cannot stage the kubeconfig text: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new CicdException(CicdException.Code.CONFIG, "kubeconfig text"
                        + (context == null ? "" : " context " + context) + " is unusable: " + e.getMessage(), e);
            }
        }

        private Config inClusterConfig() {
            String host = System.getenv("KUBERNETES_SERVICE_HOST");
            String port = System.getenv("KUBERNETES_SERVICE_PORT");
            if (host == null || host.isBlank()) {
                throw new CicdException(CicdException.Code.CONFIG,
                        "in-cluster config needs KUBERNETES_SERVICE_HOST, which is not set (not running in a pod?)");
            }
            Path tokenFile = serviceAccountDir.resolve("token");
            if (!Files.isReadable(tokenFile)) {
                throw new CicdException(CicdException.Code.CONFIG, "service-account token " + tokenFile + " is not readable");
            }
            String hostPart = host.contains(":") ? "[" + host + "]" : host;
            ConfigBuilder b = new ConfigBuilder(Config.empty())
                    .withMasterUrl("https://" + hostPart + ":" + (port == null || port.isBlank() ? "443" : port))
                    .withOauthTokenProvider(() -> readToken(tokenFile));
            Path ca = serviceAccountDir.resolve("ca.crt");
            if (Files.isReadable(ca)) {
                b.withCaCertFile(ca.toString());
            }
            Path ns = serviceAccountDir.resolve("namespace");
            if (Files.isReadable(ns)) {
                try {
                    b.withNamespace(Files.readString(ns, StandardCharsets.UTF_8).trim());
                } catch (IOException e) {
                    throw new CicdException(CicdException.Code.CONFIG, "cannot read " + ns + ": " + e.getMessage(), e);
                }
            }
            return b.build();
        }

        private Config urlConfig() {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new CicdException(CicdException.Code.CONFIG, "url '" + url + "' is not a URL", e);
            }
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new CicdException(CicdException.Code.CONFIG, "url must be http(s)://host[:port], was '" + url + "'");
            }
            ConfigBuilder b = new ConfigBuilder(Config.empty()).withMasterUrl(url);
            if (token != null) {
                b.withOauthToken(token);
            }
            if (caCertFile != null) {
                b.withCaCertFile(caCertFile.toString());
            }
            return b.build();
        }

        private static String readToken(Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new CicdException(CicdException.Code.CONFIG, "cannot read service-account token " + file + ": "
                        + e.getMessage(), e);
            }
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
