/**
 * Test fixtures for code that talks to etcd and Kubernetes: {@link dev.cicd.testkit.EtcdFixture} runs a real
 * etcd (a local {@code etcd} process on 127.0.0.1 free ports, or a Testcontainers container; one member or a
 * three-member cluster; restart, kill, compact) and {@link dev.cicd.testkit.KubernetesFixture} a Kubernetes API
 * (a simulated cluster with a deployment-controller simulation and a {@link dev.cicd.testkit.RequestLog}, or k3s
 * in a container). {@link dev.cicd.testkit.WithEtcd} and {@link dev.cicd.testkit.WithKubernetes} start them for a
 * JUnit 5 test class; {@link dev.cicd.testkit.SimulatedClusterMain} serves the simulated cluster on its own.
 * Packages named {@code internal} are not API.
 */
package dev.cicd.testkit;
