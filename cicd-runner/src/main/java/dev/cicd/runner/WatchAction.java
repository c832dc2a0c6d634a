package dev.cicd.runner;

import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.time.Duration;
import java.util.List;

/**
 * The action of a watch: exactly one of {@code kubernetes}, {@code shell} and {@code file}. In YAML,
 * {@code action: kubernetes}, {@code action: shell}, {@code action: {shell: {command: [...]}}} or
 * {@code action: {file: {dest: /etc/app.conf, reloadCmd: ...}}}.
 */
public record WatchAction(Kubernetes kubernetes, Shell shell, File file) {

    public WatchAction {
        int set = (kubernetes == null ? 0 : 1) + (shell == null ? 0 : 1) + (file == null ? 0 : 1);
        if (set != 1) {
            throw new KeyProblem("action", "must be exactly one of kubernetes, shell and file");
        }
    }

    public static WatchAction kubernetesAction() {
        return new WatchAction(new Kubernetes(), null, null);
    }

    public static WatchAction shellAction(List<String> command, Duration timeout) {
        return new WatchAction(null, new Shell(command, timeout, List.of()), null);
    }

    public boolean isKubernetes() {
        return kubernetes != null;
    }

    public boolean isShell() {
        return shell != null;
    }

    public boolean isFile() {
        return file != null;
    }

    /** {@code kubernetes}, {@code shell} or {@code file}. */
    public String kind() {
        return isKubernetes() ? "kubernetes" : isShell() ? "shell" : "file";
    }

    /** The action's own timeout when it sets one ({@code shell.timeout}, {@code file.timeout}). */
    public java.util.Optional<Duration> timeout() {
        return java.util.Optional.ofNullable(isShell() ? shell.timeout() : isFile() ? file.timeout() : null);
    }

    /**
     * The file action: the plan is written to {@code dest} (atomically), checked and reloaded, as confd
     * does with a template resource (cicd-core's {@code FileAction}).
     *
     * @param dest      the file to write (absolute)
     * @param mode      its permissions, octal ({@code "0644"}); default the previous file's, 0644 for a new one
     * @param owner     its owner (user name or uid); default the runner's
     * @param group     its group (group name or gid); default the runner's
     * @param checkCmd  run against the staged file first ({@code {{.src}}} is its path); failing keeps the old file
     * @param reloadCmd run once the file is in place; failing puts the previous file back
     * @param timeout   how long each command may run; the watch's {@code timeout} when unset
     * @param passEnv   names of the runner's environment variables the commands may see
     */
    public record File(String dest, String mode, String owner, String group, String checkCmd, String reloadCmd,
            Duration timeout, List<String> passEnv) {

        public File {
            if (dest == null || dest.isBlank()) {
                throw new KeyProblem("dest", "is required: the file to write");
            }
            if (!dest.startsWith("/")) {
                throw new KeyProblem("dest", "must be an absolute path, was '" + dest + "'");
            }
            if (mode != null && !mode.matches("0?[0-7]{3}")) {
                throw new KeyProblem("mode", "must be three octal digits like \"0644\" (quoted in YAML), was '" + mode + "'");
            }
            if (timeout != null) {
                Checks.positive("timeout", timeout);
            }
            passEnv = List.copyOf(passEnv == null ? List.of() : passEnv);
            Shell.checkPassEnv(passEnv);
        }
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
            checkPassEnv(passEnv);
        }

        static void checkPassEnv(List<String> passEnv) {
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
