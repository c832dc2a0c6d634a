package dev.cicd.etcd;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * Builds jetcd clients from plain settings: endpoints, user/password, TLS files. Problems are reported
 * as {@link IllegalArgumentException} naming the setting, file or endpoint; {@link Builder#connect}
 * also checks that etcd answers.
 *
 * <pre>
 *   Client c = EtcdClients.builder().endpoints("https://10.0.0.5:2379")
 *           .caFile(Path.of("ca.pem")).certFile(Path.of("client.pem")).keyFile(Path.of("client-key.pem"))
 *           .user("runner").password(secret).connect(Duration.ofSeconds(5));
 * </pre>
 */
public final class EtcdClients {

    private EtcdClients() {
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final List<URI> endpoints = new ArrayList<>();
        private String user;
        private String password;
        private Path caFile;
        private Path certFile;
        private Path keyFile;
        private String authority;
        private Duration connectTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Endpoints as URLs, e.g. {@code http://127.0.0.1:2379}; {@code https://} needs TLS settings or the JVM's trust store. */
        public Builder endpoints(String... urls) {
            for (String u : urls) {
                endpoints.add(parse(u));
            }
            return this;
        }

        public Builder endpoints(List<URI> uris) {
            for (URI u : uris) {
                endpoints.add(parse(Objects.requireNonNull(u, "endpoint").toString()));
            }
            return this;
        }

        /** User name for etcd authentication; needs {@link #password}. */
        public Builder user(String user) {
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("etcd user must not be blank");
            }
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** PEM file of the CA that signed etcd's server certificate. Turns TLS on. */
        public Builder caFile(Path file) {
            this.caFile = Objects.requireNonNull(file, "caFile");
            return this;
        }

        /** PEM client certificate for mutual TLS; needs {@link #keyFile}. */
        public Builder certFile(Path file) {
            this.certFile = Objects.requireNonNull(file, "certFile");
            return this;
        }

        /** PKCS#8 PEM private key of the client certificate ({@code BEGIN PRIVATE KEY}). */
        public Builder keyFile(Path file) {
            this.keyFile = Objects.requireNonNull(file, "keyFile");
            return this;
        }

        /** Host name expected in the server certificate, when it differs from the endpoint's host. */
        public Builder authority(String authority) {
            this.authority = Objects.requireNonNull(authority, "authority");
            return this;
        }

        /** Connection timeout; 5 s by default. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = EtcdTriggerSource.positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * Builds the client without contacting etcd.
         *
         * @throws IllegalArgumentException for a missing endpoint, an unreadable or malformed TLS file, or
         *                                  an incomplete pair (user without password, cert without key)
         */
        public Client build() {
            if ((user == null) != (password == null)) {
                throw new IllegalArgumentException(user == null ? "etcd password given without a user"
                        : "etcd user '" + user + "' given without a password");
            }
            boolean tls = Checks.connection(endpoints, caFile, certFile, keyFile);
            ClientBuilder b = Client.builder().endpoints(endpoints.toArray(URI[]::new)).connectTimeout(connectTimeout);
            if (user != null) {
                b.user(ByteSequence.from(user, StandardCharsets.UTF_8))
                        .password(ByteSequence.from(password, StandardCharsets.UTF_8));
            }
            if (authority != null) {
                b.authority(authority);
            }
            if (tls) {
                if (caFile != null) {
                    checkPem(caFile, "etcd CA file", "CERTIFICATE");
                }
                if (certFile != null) {
                    checkPem(certFile, "etcd client certificate file", "CERTIFICATE");
                    checkKey(keyFile);
                }
                try {
                    b.sslContext(ssl -> {
                        if (caFile != null) {
                            try {
                                ssl.trustManager(caFile.toFile());
                            } catch (IllegalArgumentException e) {
                                throw new IllegalArgumentException("etcd CA file " + caFile + " holds no usable certificate: "
                                        + e.getMessage(), e);
                            }
                        }
                        if (certFile != null) {
                            try {
                                ssl.keyManager(certFile.toFile(), keyFile.toFile());
                            } catch (IllegalArgumentException e) {
                                throw new IllegalArgumentException("etcd client certificate " + certFile + " and key "
                                        + keyFile + " cannot be used: " + e.getMessage(), e);
                            }
                        }
                    });
                } catch (SSLException e) {
                    throw new IllegalArgumentException("etcd TLS settings cannot be used (CA " + caFile + ", certificate "
                            + certFile + ", key " + keyFile + "): " + e.getMessage(), e);
                }
            }
            return b.build();
        }

        /**
         * Builds the client and checks that etcd answers a read within {@code timeout} (with the given
         * credentials); the client is closed again when it does not.
         *
         * @throws CicdException {@link CicdException.Code#SOURCE} naming the endpoints (and the user) when
         *                       etcd cannot be reached or refuses the credentials
         */
        public Client connect(Duration timeout) {
            Client c = build();
            try {
                Etcd.await(c.getKVClient().get(Etcd.bytes("/"), GetOption.builder().withCountOnly(true).build()),
                        timeout, () -> "connecting to etcd at " + endpoints + (user == null ? "" : " as user " + user));
                return c;
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }

        private static URI parse(String url) {
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException("etcd endpoint must not be blank");
            }
            URI u;
            try {
                u = new URI(url.strip());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("etcd endpoint '" + url + "' is not a URL like http://127.0.0.1:2379: "
                        + e.getMessage(), e);
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("etcd endpoint '" + url + "' must start with http:// or https://");
            }
            if (u.getHost() == null || u.getPort() <= 0) {
                throw new IllegalArgumentException("etcd endpoint '" + url + "' must name a host and a port, e.g. "
                        + scheme + "://127.0.0.1:2379");
            }
            return u;
        }

        private static String readable(Path file, String what) {
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(what + " " + file + " does not exist");
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IllegalArgumentException(what + " " + file + " is not a readable file");
            }
            try {
                return Files.readString(file, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(what + " " + file + " is not a PEM text file", e);
            }
        }

        private static void checkPem(Path file, String what, String type) {
            String text = readable(file, what);
            if (!text.contains("-----BEGIN " + type + "-----")) {
                throw new IllegalArgumentException(what + " " + file + " is not a PEM file with a " + type.toLowerCase(Locale.ROOT)
                        + " (no '-----BEGIN " + type + "-----' line)");
            }
        }

        private static void checkKey(Path file) {
            String text = readable(file, "etcd client key file");
            if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
                throw new IllegalArgumentException("etcd client key file " + file + " is a PKCS#1/SEC1 key; convert it to "
                        + "PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key-pkcs8.pem");
            }
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw new IllegalArgumentException("etcd client key file " + file + " is encrypted; give an unencrypted "
                        + "PKCS#8 key");
            }
            if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
                throw new IllegalArgumentException("etcd client key file " + file + " is not a PEM private key "
                        + "(no '-----BEGIN PRIVATE KEY-----' line)");
            }
        }
    }
}
