/**
 * Kubernetes actions for cicd: {@link dev.cicd.k8s.KubernetesAction} carries out a
 * {@link dev.cicd.k8s.KubernetesPlan} (set image, rollout history, undo, wait for rollout, server-side apply)
 * through the Kubernetes API after checking every field; {@link dev.cicd.k8s.KubernetesClients} builds the
 * fabric8 client; {@link dev.cicd.k8s.KubernetesTemplates} names the built-in plan templates. Implementation
 * classes live in {@code dev.cicd.k8s.internal} and are not API.
 */
package dev.cicd.k8s;
