package dev.cicd.runner;

import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.time.Duration;
import java.util.List;

/**
 * The {@code runner} section: this runner process.
 *
 * @param id           runner id written into status records, default {@code <host>-<pid>}
 * @param group        runners of one group share checkpoints and elect one leader; default {@code default}
 * @param parallelism  how many events run at once across all watches (events of one target run one at
 *                     a time, those of different targets in parallel); default 16
 * @param logDir       run-log directory, default {@code logs} next to the config file
 * @param workDir      where plan files are written for actions, default the system's temporary
 *                     directory (a fresh subdirectory per run)
 * @param logRetention how long run logs are kept
 * @param statusRetention how many per-revision status records are kept in etcd per watch, and how long
 * @param statePrefix  etcd prefix of checkpoints and fingerprints, default {@code /cicd/.state}
 * @param statusPrefix etcd prefix of status records, default {@code /cicd/.status}
 * @param httpHost     address of the health and metrics endpoint, default {@code 127.0.0.1}
 * @param httpPort     its port; 0 (the default) turns it off
 * @param electionTtl  leader lease TTL, whole seconds, default 10 s; of a sharded group, the membership
 *                     lease TTL (how long a crashed runner keeps its shards)
 * @param logFormat    the process log on stderr: {@code text} (default) or {@code json}, one object per
 *                     line; the command-line option {@code --log-format} wins over it
 * @param shards       0 (the default): one leader of the group processes every event; 1..4096: the group's
 *                     runners share its targets in that many shards (fixed for the group's life)
 */
public record RunnerSettings(String id, String group, Integer parallelism, String logDir, String workDir,
                             LogRetention logRetention, StatusRetention statusRetention, String statePrefix, String statusPrefix, String httpHost,
                             Integer httpPort, Duration electionTtl, LogFormat logFormat, Integer shards) {

    /** Events that run at once when {@code parallelism} is not set. */
    public static final int DEFAULT_PARALLELISM = 16;

    public RunnerSettings {
        id = id == null || id.isBlank() ? defaultId() : id.trim();
        if (!id.matches("[A-Za-z0-9][-A-Za-z0-9_.]{0,127}")) {
            throw new KeyProblem("id", "'" + id + "' must be 1-128 characters of letters, digits, - _ .");
        }
        group = group == null || group.isBlank() ? "default" : group.trim();
        if (!Checks.DNS1123_LABEL.matcher(group).matches()) {
            throw new KeyProblem("group", "'" + group + "' must be a DNS-1123 label (lower-case letters, digits, -)");
        }
        parallelism = parallelism == null ? DEFAULT_PARALLELISM : parallelism;
        if (parallelism < 1) {
            throw new KeyProblem("parallelism", "must be at least 1, was " + parallelism);
        }
        logDir = logDir == null || logDir.isBlank() ? "logs" : logDir;
        workDir = workDir == null ? "" : workDir.trim();
        logRetention = logRetention == null ? new LogRetention(null, null, null) : logRetention;
        statusRetention = statusRetention == null ? new StatusRetention(null, null) : statusRetention;
        statePrefix = prefix("statePrefix", statePrefix, "/cicd/.state");
        statusPrefix = prefix("statusPrefix", statusPrefix, "/cicd/.status");
        httpHost = httpHost == null || httpHost.isBlank() ? "127.0.0.1" : httpHost.trim();
        httpPort = httpPort == null ? 0 : httpPort;
        if (httpPort < 0 || httpPort > 65535) {
            throw new KeyProblem("httpPort", "must be between 0 (off) and 65535, was " + httpPort);
        }
        electionTtl = electionTtl == null ? Duration.ofSeconds(10) : electionTtl;
        if (electionTtl.toMillis() % 1000 != 0 || electionTtl.getSeconds() < 2) {
            throw new KeyProblem("electionTtl", "must be whole seconds, at least 2s, was " + electionTtl);
        }
        logFormat = logFormat == null ? LogFormat.TEXT : logFormat;
        shards = shards == null ? 0 : shards;
        if (shards < 0 || shards > 4096) {
            throw new KeyProblem("shards", "must be 0 (one leader) or 1..4096 (runners share the targets), was " + shards);
        }
    }

    /** Whether the group's runners share its targets in shards. */
    public boolean sharded() {
        return shards > 0;
    }

    /** How the process log is written. */
    public enum LogFormat {
        /** One line per message: time, level, logger, MDC, message. */
        TEXT,
        /** One JSON object per line: timestamp, level, logger, thread, message, the MDC keys, exception. */
        JSON;

        /** {@code text} or {@code json}, any case. */
        public static LogFormat parse(String s) {
            String v = s == null ? "" : s.trim();
            for (LogFormat f : values()) {
                if (f.name().equalsIgnoreCase(v)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("must be text or json, was '" + s + "'");
        }

        /** The config value: {@code text} or {@code json}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Run-log retention, applied per watch after each run.
     *
     * @param maxAge   delete run logs older than this, default 7 d
     * @param maxFiles keep at most this many per watch, default 1000
     */
    public record LogRetention(Duration maxAge, Integer maxFiles, Long maxBytes) {
        public LogRetention {
            maxBytes = maxBytes == null ? dev.cicd.core.RunLog.DEFAULT_MAX_BYTES : maxBytes;
            if (maxBytes < 1) {
                throw new KeyProblem("maxBytes", "must be at least 1, was " + maxBytes);
            }
            maxAge = maxAge == null ? Duration.ofDays(7) : maxAge;
            Checks.positive("maxAge", maxAge);
            maxFiles = maxFiles == null ? 1000 : maxFiles;
            if (maxFiles < 1) {
                throw new KeyProblem("maxFiles", "must be at least 1, was " + maxFiles);
            }
        }
    }

    /**
     * Retention of the per-revision status records in etcd ({@code <statusPrefix>/<watch>/<revision>}); the
     * {@code latest} and {@code notice} records, checkpoints and fingerprints are kept.
     *
     * @param maxAge      etcd deletes a record (its lease ends) between {@code maxAge} minus a tenth of it (at
     *                    most 1 h) and {@code maxAge} after it was written, even while no runner runs; default
     *                    7 d, at least 10 s
     * @param maxPerWatch the leading runner keeps at most this many per watch, the newest written, deleting the
     *                    older ones after its commits (never those of events in flight); default 1000
     */
    public record StatusRetention(Duration maxAge, Integer maxPerWatch) {

        /** Records kept per watch when {@code maxPerWatch} is not set. */
        public static final int DEFAULT_MAX_PER_WATCH = 1000;

        public StatusRetention {
            maxAge = maxAge == null ? Duration.ofDays(7) : maxAge;
            if (maxAge.compareTo(Duration.ofSeconds(10)) < 0) {
                throw new KeyProblem("maxAge", "must be at least 10s, was " + maxAge);
            }
            maxPerWatch = maxPerWatch == null ? DEFAULT_MAX_PER_WATCH : maxPerWatch;
            if (maxPerWatch < 1) {
                throw new KeyProblem("maxPerWatch", "must be at least 1, was " + maxPerWatch);
            }
        }
    }

    private static String prefix(String key, String value, String dflt) {
        String p = value == null || value.isBlank() ? dflt : value.trim();
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (!p.startsWith("/") || p.length() < 2) {
            throw new KeyProblem(key, "must start with '/' and name a prefix, was '" + value + "'");
        }
        return p;
    }

    private static String defaultId() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "runner";
            }
        }
        host = host.replaceAll("[^-A-Za-z0-9_.]", "-");
        if (host.isEmpty() || !Character.isLetterOrDigit(host.charAt(0))) {
            host = "runner" + host;
        }
        if (host.length() > 100) {
            host = host.substring(0, 100);
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
