/**
 * The cicd runner: {@link dev.cicd.runner.Main} is the {@code cicd} command line ({@code run}, {@code once},
 * {@code trigger}, {@code status}, {@code history}, {@code selftest}, {@code demo}, {@code import-confd});
 * {@link dev.cicd.runner.RunnerConfig} loads and checks the YAML config file with its environment overrides
 * ({@link dev.cicd.runner.EtcdConfig}, {@link dev.cicd.runner.KubernetesConfig},
 * {@link dev.cicd.runner.RunnerSettings}, {@link dev.cicd.runner.WatchConfig}); {@link dev.cicd.runner.Runner}
 * runs the whole loop for one config (etcd client, leader election, the pipeline of each leadership term,
 * health and metrics over HTTP). {@link dev.cicd.runner.ExitCodes} lists the command's exit codes. Packages
 * named {@code internal} (CLI commands, config parsing, wiring, confd import) are not API.
 */
package dev.cicd.runner;
