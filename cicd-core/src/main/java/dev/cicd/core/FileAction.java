package dev.cicd.core;

import dev.cicd.core.internal.file.Command;
import dev.cicd.core.internal.file.FileInstall;
import dev.cicd.core.internal.process.EventVariables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the plan to a file: what confd does with a template resource, without its failure modes.
 *
 * <ol>
 *   <li>When {@code dest} already holds exactly the plan (and the configured mode and owner), the outcome
 *       is {@code in-sync} and nothing runs (confd's own comparison; it is made against the file every
 *       time, so a file changed by hand is put right by the next value).</li>
 *   <li>The plan is staged in a new file in {@code dest}'s directory (written, given its mode and owner,
 *       fsynced). The {@code checkCommand} runs against it ({@code {{.src}}} is the staged path, as in
 *       confd); when it fails the staged file is removed, {@code dest} is untouched, the outcome is
 *       {@code failed}.</li>
 *   <li>The staged file is renamed over {@code dest} (atomic: a reader sees the old or the new file,
 *       never a mix), then the {@code reloadCommand} runs. When it fails, the previous file is put back
 *       (unlike confd, which leaves the new file in place) and the outcome is {@code failed}: the same value
 *       can be put again and is tried again.</li>
 * </ol>
 *
 * <p>The target of every plan is {@code dest}: values for one file run one at a time, in order. Commands
 * run as {@code sh -c COMMAND} with only {@code PATH HOME LANG LC_ALL TZ TMPDIR USER}, the names given to
 * {@link Builder#passEnvironment} and the event's {@code CICD_*} variables in their environment.
 */
public final class FileAction implements Action {

    private static final Logger LOG = LoggerFactory.getLogger(FileAction.class);

    private final Path dest;
    private final FileInstall install;
    private final Optional<Command> check;
    private final Optional<Command> reload;
    private final Set<String> passEnvironment;

    private FileAction(Builder b) {
        this.dest = Objects.requireNonNull(b.dest, "dest").toAbsolutePath().normalize();
        this.install = new FileInstall(dest, b.mode, b.owner, b.group);
        this.check = b.check.map(c -> new Command("checkCommand", c));
        this.reload = b.reload.map(c -> new Command("reloadCommand", c));
        this.passEnvironment = Set.copyOf(b.passEnvironment);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The file this action writes. */
    public Path dest() {
        return dest;
    }

    @Override
    public Set<String> targets(Plan plan) {
        return Set.of(dest.toString());
    }

    @Override
    public boolean comparesLiveState() {
        return true;
    }

    @Override
    public ActionResult execute(Plan plan, ActionContext context) {
        byte[] content = plan.text().getBytes(StandardCharsets.UTF_8);
        Path staged = null;
        try {
            if (install.holds(content)) {
                return ActionResult.inSync(dest + " already has this content");
            }
            staged = install.stage(content);
            Map<String, String> env = environment(plan);
            StringBuilder output = new StringBuilder();
            if (check.isPresent()) {
                Command.Result r = check.get().run(staged, dest.getParent(), env, context.timeout());
                output.append(r.output());
                if (!r.ok()) {
                    return failed(r, dest + " left as it was", output);
                }
            }
            Optional<Path> previous = install.swap(staged);
            staged = null;
            if (reload.isPresent()) {
                Command.Result r = reload.get().run(dest, dest.getParent(), env, context.timeout());
                output.append(r.output());
                if (!r.ok()) {
                    install.restore(previous);
                    LOG.warn("{} failed; restored the previous {}", reload.get().name(), dest);
                    return failed(r, "the previous " + dest + " is restored", output);
                }
            }
            install.forget(previous);
            return ActionResult.applied(output.toString());
        } catch (IOException | RuntimeException e) {
            return ActionResult.failed("writing " + dest + " failed: " + e, "");
        } finally {
            if (staged != null) {
                try {
                    java.nio.file.Files.deleteIfExists(staged);
                } catch (IOException e) {
                    LOG.warn("could not remove the staged file {}: {}", staged, e.toString());
                }
            }
        }
    }

    private static ActionResult failed(Command.Result r, String state, StringBuilder output) {
        String reason = r.problem() + "; " + state;
        return r.exitCode() >= 0 ? ActionResult.failed(reason, r.exitCode(), output.toString())
                : ActionResult.failed(reason, output.toString());
    }

    private Map<String, String> environment(Plan plan) {
        Set<String> names = new TreeSet<>(ShellAction.BASE_ENVIRONMENT);
        names.addAll(passEnvironment);
        Map<String, String> env = EventVariables.inherited(names);
        env.putAll(EventVariables.of(plan));
        env.put("CICD_DEST", dest.toString());
        return env;
    }

    @Override
    public String toString() {
        return "FileAction[" + dest + "]";
    }

    /** Settings of a {@link FileAction}; {@code dest} is required. */
    public static final class Builder {
        private Path dest;
        private Optional<Set<PosixFilePermission>> mode = Optional.empty();
        private Optional<String> owner = Optional.empty();
        private Optional<String> group = Optional.empty();
        private Optional<String> check = Optional.empty();
        private Optional<String> reload = Optional.empty();
        private final Set<String> passEnvironment = new TreeSet<>();

        private Builder() {
        }

        /** The file to write; must be an absolute path. */
        public Builder dest(Path dest) {
            Objects.requireNonNull(dest, "dest");
            if (!dest.isAbsolute()) {
                throw new IllegalArgumentException("dest: must be an absolute path, was '" + dest + "'");
            }
            this.dest = dest;
            return this;
        }

        /** Permissions as an octal string ({@code "0644"}, {@code "600"}); default: the previous file's, 0644 for a new one. */
        public Builder mode(String octal) {
            this.mode = Optional.of(parseMode(octal));
            return this;
        }

        /** Owner (user name or numeric uid); changing it needs the privilege to. */
        public Builder owner(String owner) {
            this.owner = Optional.of(nonBlank("owner", owner));
            return this;
        }

        /** Group (group name or numeric gid). */
        public Builder group(String group) {
            this.group = Optional.of(nonBlank("group", group));
            return this;
        }

        /** Run against the staged file before it is installed ({@code {{.src}}}: its path); failing refuses it. */
        public Builder checkCommand(String command) {
            this.check = Optional.of(nonBlank("checkCommand", command));
            return this;
        }

        /** Run after the file is installed; failing puts the previous file back. */
        public Builder reloadCommand(String command) {
            this.reload = Optional.of(nonBlank("reloadCommand", command));
            return this;
        }

        /** Further names of this JVM's environment variables the commands may see. */
        public Builder passEnvironment(java.util.Collection<String> names) {
            for (String n : names) {
                if (n == null || !n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("passEnv: must list environment variable names, was '" + n + "'");
                }
                passEnvironment.add(n);
            }
            return this;
        }

        public FileAction build() {
            if (dest == null) {
                throw new IllegalArgumentException("dest: is required");
            }
            return new FileAction(this);
        }

        private static String nonBlank(String field, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(field + ": must not be empty");
            }
            return value;
        }

        static Set<PosixFilePermission> parseMode(String octal) {
            if (octal == null || !octal.matches("0?[0-7]{3}")) {
                throw new IllegalArgumentException("mode: must be three octal digits like 0644, was '" + octal + "'");
            }
            int bits = Integer.parseInt(octal, 8);
            StringBuilder s = new StringBuilder();
            String rwx = "rwxrwxrwx";
            for (int i = 0; i < 9; i++) {
                s.append((bits & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
            }
            return PosixFilePermissions.fromString(s.toString());
        }
    }
}
