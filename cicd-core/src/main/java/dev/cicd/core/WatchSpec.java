package dev.cicd.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to watch and what to do with it: the equivalent of one confd template resource.
 *
 * <p>A key matches when it equals {@code prefix + k} for one of {@code keys} (exact match:
 * {@code /trigger} does not match {@code /triggerX}); a key ending in {@code /} matches every key below it
 * ({@code /upstream/} matches {@code /upstream/app1}, as confd's keys do). With no keys, every key below the prefix
 * matches ({@code prefix + "/..."}).
 *
 * @param name           unique name of the watch (used in status keys, logs, metrics, checkpoints)
 * @param prefix         key prefix, e.g. {@code /cicd/rollout}; empty string for none
 * @param keys           keys relative to the prefix, each starting with {@code /}
 * @param template       name of the template that renders a plan
 * @param action         name of the action that carries the plan out
 * @param dedupe         whether an already-applied plan is skipped as in-sync
 * @param timeout        how long the action may run
 * @param includeDeletes whether a DELETE is a trigger (by default it only leaves the key map: {@code getv}
 *                       and {@code exists} see it, nothing runs)
 * @param target         a template expression naming what an event changes (e.g.
 *                       {@code {{ data.k8sNamespace }}/{{ data.appName }}}), rendered per event; empty
 *                       means the event's key. Events of one target run one at a time, in order
 * @param coalesce       what to do with several queued values of one target: run each ({@code NONE}) or
 *                       only the newest ({@code LATEST}; the others end {@code superseded})
 * @param maxValueBytes  the largest value accepted; a larger one is {@code rejected} before rendering
 * @param verify         when present, every value must carry a valid signature ({@link TriggerSignatures}):
 *                       one that is missing, bad, expired or replayed is {@code rejected} before rendering, and
 *                       templates and actions see the payload without the signature header
 */
public record WatchSpec(
        String name,
        String prefix,
        List<String> keys,
        String template,
        String action,
        boolean dedupe,
        Duration timeout,
        boolean includeDeletes,
        Optional<String> target,
        Coalesce coalesce,
        int maxValueBytes,
        Optional<TriggerSignatures> verify) {

    /** Default {@link #maxValueBytes()}: 256 KiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 256 * 1024;

    /** What happens to queued values of a target when a newer one arrives. */
    public enum Coalesce {
        /** Every value runs, in order (the default). */
        NONE,
        /** Only the newest queued value runs; the skipped ones end {@code superseded}. */
        LATEST;

        /** {@code none} or {@code latest}, any case. */
        public static Coalesce parse(String s) {
            for (Coalesce c : values()) {
                if (c.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
                    return c;
                }
            }
            throw new IllegalArgumentException("coalesce must be 'none' or 'latest', was '" + s + "'");
        }
    }

    /** Default action timeout: five minutes. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");

    public WatchSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("watch name must be 1-63 characters of [a-z0-9-_.], starting and "
                    + "ending with a letter or digit, was '" + name + "'");
        }
        prefix = prefix == null ? "" : prefix;
        if (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.isEmpty() && !prefix.startsWith("/")) {
            throw new IllegalArgumentException("watch " + name + ": prefix must start with '/', was '" + prefix + "'");
        }
        keys = List.copyOf(keys == null ? List.of() : keys);
        for (String k : keys) {
            if (k == null || !k.startsWith("/") || k.length() < 2) {
                throw new IllegalArgumentException("watch " + name + ": key must start with '/' and name a key, was '" + k + "'");
            }
        }
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("watch " + name + ": template must not be blank, was '" + template + "'");
        }
        if (action == null || action.isBlank()) {
            throw new IllegalArgumentException("watch " + name + ": action must not be blank, was '" + action + "'");
        }
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("watch " + name + ": timeout must be positive, was " + timeout);
        }
        target = target == null ? Optional.empty() : target.filter(t -> !t.isBlank());
        coalesce = coalesce == null ? Coalesce.NONE : coalesce;
        if (maxValueBytes < 1) {
            throw new IllegalArgumentException("watch " + name + ": maxValueBytes must be >= 1, was " + maxValueBytes);
        }
        verify = verify == null ? Optional.empty() : verify;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Whether the full key belongs to this watch. */
    public boolean matches(String fullKey) {
        if (fullKey == null) {
            return false;
        }
        if (keys.isEmpty()) {
            return fullKey.startsWith(prefix + "/") && fullKey.length() > prefix.length() + 1;
        }
        if (!fullKey.startsWith(prefix)) {
            return false;
        }
        String rel = fullKey.substring(prefix.length());
        if (keys.contains(rel)) {
            return true;
        }
        for (String k : keys) {
            if (k.endsWith("/") && rel.startsWith(k) && rel.length() > k.length()) {
                return true;
            }
        }
        return false;
    }

    /** The key relative to the prefix ({@code /trigger} for {@code /cicd/rollout/trigger}). */
    public String relativeKey(String fullKey) {
        if (!fullKey.startsWith(prefix)) {
            throw new IllegalArgumentException("key " + fullKey + " is not under prefix " + prefix + " of watch " + name);
        }
        return fullKey.substring(prefix.length());
    }

    /** The full key for a key relative to the prefix. */
    public String fullKey(String relativeKey) {
        return prefix + (relativeKey.startsWith("/") ? relativeKey : "/" + relativeKey);
    }

    /** The full keys this watch names, or the prefix directory ({@code prefix + "/"}) when it names none. */
    public List<String> fullKeys() {
        if (keys.isEmpty()) {
            return List.of(prefix + "/");
        }
        List<String> out = new ArrayList<>(keys.size());
        for (String k : keys) {
            out.add(prefix + k);
        }
        return out;
    }

    /** Builder with confd-like defaults: dedupe on, 5 minute timeout, DELETEs ignored. */
    public static final class Builder {
        private final String name;
        private String prefix = "";
        private final List<String> keys = new ArrayList<>();
        private String template;
        private String action = "shell";
        private boolean dedupe = true;
        private Duration timeout = DEFAULT_TIMEOUT;
        private boolean includeDeletes;
        private String target;
        private Coalesce coalesce = Coalesce.NONE;
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private TriggerSignatures verify;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        public Builder key(String key) {
            this.keys.add(key);
            return this;
        }

        public Builder keys(List<String> keys) {
            this.keys.clear();
            this.keys.addAll(keys);
            return this;
        }

        public Builder template(String template) {
            this.template = template;
            return this;
        }

        public Builder action(String action) {
            this.action = action;
            return this;
        }

        public Builder dedupe(boolean dedupe) {
            this.dedupe = dedupe;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder includeDeletes(boolean includeDeletes) {
            this.includeDeletes = includeDeletes;
            return this;
        }

        /** A template expression naming the target of each event; default: the event's key. */
        public Builder target(String target) {
            this.target = target;
            return this;
        }

        public Builder coalesce(Coalesce coalesce) {
            this.coalesce = coalesce;
            return this;
        }

        /** The largest value accepted (bytes); default 256 KiB. */
        public Builder maxValueBytes(int maxValueBytes) {
            this.maxValueBytes = maxValueBytes;
            return this;
        }

        /** Requires every value to be signed with one of the verifier's keys; null: no signatures (the default). */
        public Builder verify(TriggerSignatures verify) {
            this.verify = verify;
            return this;
        }

        public WatchSpec build() {
            return new WatchSpec(name, prefix, keys, template, action, dedupe, timeout, includeDeletes,
                    Optional.ofNullable(target), coalesce, maxValueBytes, Optional.ofNullable(verify));
        }
    }
}
