package dev.cicd.k8s.internal;

import dev.cicd.k8s.KubernetesAction;
import dev.cicd.k8s.OnFailure;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The configuration of a {@code KubernetesAction}, validated by its builder.
 *
 * @param allowedNamespaces  namespaces steps may touch (never empty)
 * @param allowedDeployments Deployment names ({@code name} or {@code namespace/name}); empty allows all
 * @param allowedRegistries  image registries ({@code host[:port]}); empty allows all
 * @param allowedKinds       cluster-scoped kinds {@code apply} may send (besides Namespaces on the
 *                           namespace allow-list); empty (default) allows none
 * @param onFailure          default for plans that do not say
 * @param defaultWaitTimeout wait timeout for {@code waitForRollout} steps that name none
 * @param pollInterval       longest pause between two status reads while waiting
 * @param clock              timestamps in summaries
 * @param manifestRoot       {@code apply.path} resolves against it and must stay below it; an {@code apply.path}
 *                           without one is rejected
 * @param listener           step and lock callbacks
 * @param events             whether applied and failed plans write Kubernetes Events on their Deployments
 */
public record ActionSettings(
        Set<String> allowedNamespaces,
        Set<String> allowedDeployments,
        Set<String> allowedRegistries,
        Set<String> allowedKinds,
        OnFailure onFailure,
        Duration defaultWaitTimeout,
        Duration pollInterval,
        Clock clock,
        Optional<Path> manifestRoot,
        KubernetesAction.Listener listener,
        boolean events) {

    public ActionSettings {
        allowedNamespaces = Set.copyOf(allowedNamespaces);
        allowedDeployments = Set.copyOf(allowedDeployments);
        allowedRegistries = Set.copyOf(allowedRegistries);
        allowedKinds = Set.copyOf(allowedKinds);
        Objects.requireNonNull(onFailure, "onFailure");
        Objects.requireNonNull(defaultWaitTimeout, "defaultWaitTimeout");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(clock, "clock");
        manifestRoot = manifestRoot == null ? Optional.empty() : manifestRoot;
        Objects.requireNonNull(listener, "listener");
    }
}
