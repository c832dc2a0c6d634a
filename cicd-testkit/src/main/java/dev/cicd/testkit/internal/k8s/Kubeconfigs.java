package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.internal.Directories;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Kubeconfig text, files and clients made from them. */
final class Kubeconfigs {

    static final String CONTEXT = "cicd-simulated";

    private Kubeconfigs() {
    }

    /** A kubeconfig for a plain-HTTP API server with a dummy bearer token and namespace {@code default}. */
    static String simulated(URI apiUrl) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                contexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: %1$s
                    namespace: default
                current-context: %1$s
                preferences: {}
                users:
                - name: %1$s
                  user:
                    token: %1$s
                """.formatted(CONTEXT, apiUrl);
    }

    /** A fabric8 client for the kubeconfig; {@code userAgent} replaces the default one when present. */
    static KubernetesClient client(String kubeconfig, Optional<String> userAgent) {
        Config config = Config.fromKubeconfig(kubeconfig);
        userAgent.ifPresent(config::setUserAgent);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** The API URL a kubeconfig's current context points at. */
    static URI apiUrl(String kubeconfig) {
        String url = Config.fromKubeconfig(kubeconfig).getMasterUrl();
        return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    /** Where a fixture keeps its kubeconfig; deletes what it created on close. */
    static final class KubeconfigFile implements AutoCloseable {
        private final Path file;
        private final Optional<Path> ownDirectory;

        private KubeconfigFile(Path file, Optional<Path> ownDirectory) {
            this.file = file;
            this.ownDirectory = ownDirectory;
        }

        /** Writes {@code kubeconfig} to the requested file, or to a new directory under the work dir. */
        static KubeconfigFile write(KubernetesSettings settings, String kubeconfig) {
            try {
                Path file;
                Optional<Path> own;
                if (settings.kubeconfigFile().isPresent()) {
                    file = settings.kubeconfigFile().get().toAbsolutePath();
                    own = Optional.empty();
                } else {
                    Path parent = settings.workDir()
                            .or(() -> Optional.ofNullable(System.getProperty("cicd.testkit.workDir")).map(Path::of))
                            .orElse(Path.of(System.getProperty("java.io.tmpdir")));
                    Files.createDirectories(parent);
                    Path dir = Files.createTempDirectory(parent.toAbsolutePath(), "k8s-");
                    file = dir.resolve("kubeconfig");
                    own = Optional.of(dir);
                }
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                Files.writeString(file, kubeconfig, StandardCharsets.UTF_8);
                return new KubeconfigFile(file, own);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the kubeconfig: " + e.getMessage(), e);
            }
        }

        Path path() {
            return file;
        }

        @Override
        public void close() {
            if (ownDirectory.isEmpty()) {
                return;
            }
            Directories.delete(ownDirectory.get());
        }
    }
}
