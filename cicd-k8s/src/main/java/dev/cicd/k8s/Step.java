package dev.cicd.k8s;

import dev.cicd.core.CicdException;
import dev.cicd.core.Validation;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One step of a {@link KubernetesPlan}. Each record checks the grammar of its fields in its constructor
 * (DNS-1123 names, image reference); allow-lists are checked by the {@link KubernetesAction} that runs it.
 * A violation throws {@link CicdException} with code {@link CicdException.Code#INVALID_FIELD} naming the
 * field and the value.
 */
public sealed interface Step {

    /** The step's name as written in a plan: {@code setImage}, {@code rolloutHistory}, ... */
    String type();

    /** A one-line description for logs and summaries. */
    String describe();

    /** A step that acts on one Deployment. */
    sealed interface OnDeployment extends Step {
        String namespace();

        String deployment();

        /** {@code namespace/deployment}. */
        default String target() {
            return namespace() + "/" + deployment();
        }
    }

    /**
     * Patch one container's image (one JSON patch) and set the {@code kubernetes.io/change-cause}
     * annotation.
     *
     * @param changeCause the annotation's value; when empty the action writes one naming the image and
     *                    the event
     */
    record SetImage(String namespace, String deployment, String container, String image,
                    Optional<String> changeCause) implements OnDeployment {
        public SetImage {
            checkTarget("setImage", namespace, deployment);
            Validation.dns1123Label("setImage.container", container);
            Validation.imageReference("setImage.image", image);
            changeCause = changeCause == null ? Optional.empty() : changeCause;
            changeCause.ifPresent(c -> checkText("setImage.changeCause", c, 1024));
        }

        @Override
        public String type() {
            return "setImage";
        }

        @Override
        public String describe() {
            return "setImage " + target() + " " + container + "=" + image;
        }
    }

    /** List the revisions of the ReplicaSets owned by the Deployment. */
    record RolloutHistory(String namespace, String deployment) implements OnDeployment {
        public RolloutHistory {
            checkTarget("rolloutHistory", namespace, deployment);
        }

        @Override
        public String type() {
            return "rolloutHistory";
        }

        @Override
        public String describe() {
            return "rolloutHistory " + target();
        }
    }

    /**
     * Roll back like {@code kubectl rollout undo}.
     *
     * @param toRevision the revision to go back to; empty for the previous one
     */
    record RolloutUndo(String namespace, String deployment, OptionalLong toRevision) implements OnDeployment {
        public RolloutUndo {
            checkTarget("rolloutUndo", namespace, deployment);
            toRevision = toRevision == null ? OptionalLong.empty() : toRevision;
            if (toRevision.isPresent() && toRevision.getAsLong() <= 0) {
                throw new CicdException(CicdException.Code.INVALID_FIELD,
                        "rolloutUndo.toRevision must be a positive revision number, was '" + toRevision.getAsLong() + "'");
            }
        }

        @Override
        public String type() {
            return "rolloutUndo";
        }

        @Override
        public String describe() {
            return "rolloutUndo " + target()
                    + (toRevision.isPresent() ? " to revision " + toRevision.getAsLong() : " to the previous revision");
        }
    }

    /**
     * Wait like {@code kubectl rollout status}.
     *
     * @param timeout how long to wait; empty for the action's default
     */
    record WaitForRollout(String namespace, String deployment, Optional<Duration> timeout) implements OnDeployment {
        /** The longest wait a plan may ask for. */
        public static final Duration MAX_TIMEOUT = Duration.ofHours(6);

        public WaitForRollout {
            checkTarget("waitForRollout", namespace, deployment);
            timeout = timeout == null ? Optional.empty() : timeout;
            timeout.ifPresent(t -> {
                if (t.isNegative() || t.isZero() || t.compareTo(MAX_TIMEOUT) > 0) {
                    throw new CicdException(CicdException.Code.INVALID_FIELD,
                            "waitForRollout.timeout must be positive and at most 6h, was '" + t + "'");
                }
            });
        }

        @Override
        public String type() {
            return "waitForRollout";
        }

        @Override
        public String describe() {
            return "waitForRollout " + target();
        }
    }

    /**
     * Server-side apply every YAML document of a file, a directory (recursive) or an inline manifest.
     *
     * @param path      a file or directory below the action's manifest root; exactly one of {@code path} and
     *                  {@code manifest} is given
     * @param manifest  YAML text with one or more documents
     * @param namespace the namespace for namespaced objects that name none
     * @param waitForRollouts {@code wait:} in a plan; after applying, wait (like {@code waitForRollout}, with the action's default timeout) for
     *                  the rollout of every Deployment the step applied, in the order applied
     */
    record Apply(Optional<String> path, Optional<String> manifest, Optional<String> namespace, boolean waitForRollouts)
            implements Step {
        public Apply {
            path = path == null ? Optional.empty() : path;
            manifest = manifest == null ? Optional.empty() : manifest;
            namespace = namespace == null ? Optional.empty() : namespace;
            if (path.isPresent() == manifest.isPresent()) {
                throw new CicdException(CicdException.Code.INVALID_FIELD,
                        "apply needs exactly one of apply.path and apply.manifest, was "
                                + (path.isPresent() ? "both" : "neither"));
            }
            path.ifPresent(p -> checkText("apply.path", p, 4096));
            manifest.ifPresent(m -> Validation.requireText("apply.manifest", m));
            namespace.ifPresent(n -> Validation.dns1123Label("apply.namespace", n));
        }

        /** An apply that does not wait. */
        public Apply(Optional<String> path, Optional<String> manifest, Optional<String> namespace) {
            this(path, manifest, namespace, false);
        }

        @Override
        public String type() {
            return "apply";
        }

        @Override
        public String describe() {
            return "apply " + path.map(p -> "path " + p).orElse("inline manifest")
                    + namespace.map(n -> " (namespace " + n + ")").orElse("")
                    + (waitForRollouts ? ", waiting for its Deployments" : "");
        }
    }

    private static void checkTarget(String type, String namespace, String deployment) {
        Validation.dns1123Label(type + ".namespace", namespace);
        Validation.dns1123Subdomain(type + ".deployment", deployment);
    }

    private static void checkText(String field, String value, int max) {
        Objects.requireNonNull(value, field);
        if (value.isBlank() || value.length() > max || value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
            throw new CicdException(CicdException.Code.INVALID_FIELD, field + " must be 1-" + max
                    + " printable characters, was '" + value + "'");
        }
    }
}
