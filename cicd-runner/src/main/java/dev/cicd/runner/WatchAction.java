package dev.cicd.runner;

import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.time.Duration;
import java.util.List;

/**
 * The action of a watch: exactly one of {@code kubernetes} and {@code shell}. In YAML,
 * {@code action: kubernetes}, {@code action: shell}, or {@code action: {shell: {command: [...]}}}.
 */
public record WatchAction(Kubernetes kubernetes, Shell shell) {

    public WatchAction {
        if ((kubernetes == null) == (shell == null)) {
            throw new KeyProblem("action", "must be exactly one of kubernetes and shell");
        }
    }

    public static WatchAction kubernetesAction() {
        return new WatchAction(new Kubernetes(), null);
    }

    public static WatchAction shellAction(List<String> command, Duration timeout) {
        return new WatchAction(null, new Shell(command, timeout, List.of()));
    }

    public boolean isKubernetes() {
        return kubernetes != null;
    }

    public boolean isShell() {
        return shell != null;
    }

    /** {@code kubernetes} or {@code shell}. */
    public String kind() {
        return isKubernetes() ? "kubernetes" : "shell";
    }

    /**
     * The kubernetes action: a plan of steps (YAML) executed through the API by cicd-k8s's
     * {@code KubernetesAction}. Its options (allow-lists, {@code onFailure}) are keys of the watch.
     */
    public record Kubernetes() {
    }

    /**
     * The shell action.
     *
     * @param command the command; {@code {plan}} is replaced by the plan file's path. Default
     *                {@code [bash, -eu, -o, pipefail, "{plan}"]}: the plan is a bash script
     * @param timeout how long it may run; the watch's {@code timeout} when unset
     * @param passEnv names of the runner's environment variables the script may see (its credentials
     *                never: {@code CICD_*} names are refused); default none beyond
     *                {@code PATH HOME LANG LC_ALL TZ TMPDIR USER} and the event's {@code CICD_*} variables
     */
    public record Shell(List<String> command, Duration timeout, List<String> passEnv) {

        /** The command when none is given: the plan is a bash script. */
        public static final List<String> DEFAULT_COMMAND = List.of("bash", "-eu", "-o", "pipefail", "{plan}");

        public Shell {
            command = List.copyOf(command == null || command.isEmpty() ? DEFAULT_COMMAND : command);
            for (String c : command) {
                if (c == null || c.isEmpty()) {
                    throw new KeyProblem("command", "must not contain empty words: " + command);
                }
            }
            if (timeout != null) {
                Checks.positive("timeout", timeout);
            }
            passEnv = List.copyOf(passEnv == null ? List.of() : passEnv);
            for (String n : passEnv) {
                if (n == null || !n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new KeyProblem("passEnv", "must list environment variable names, was '" + n + "'");
                }
                if (n.startsWith("CICD_")) {
                    throw new KeyProblem("passEnv", "'" + n + "': the runner's own CICD_* settings (credentials among "
                            + "them) are never passed to a script");
                }
            }
        }
    }
}
