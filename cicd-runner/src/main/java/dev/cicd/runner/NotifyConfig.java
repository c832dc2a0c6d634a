package dev.cicd.runner;

import dev.cicd.core.Durations;
import dev.cicd.core.Outcome;
import dev.cicd.runner.internal.config.Checks;
import dev.cicd.runner.internal.config.KeyProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of {@code notify} (top level, for every watch) or {@code watches[].notify} (for that watch, in
 * addition to the top-level ones): where outcomes are sent.
 *
 * @param type      {@code webhook} (a JSON body, optionally signed) or {@code slack} (an incoming-webhook body)
 * @param name      the sink's name in logs and in {@code cicd_notifications_total{sink}}; {@code ""} (default):
 *                  its place in the config, {@code notify[0]} or {@code watches[rollout].notify[0]}
 * @param url       an {@code http://} or {@code https://} URL, or {@code env:VARIABLE} naming the environment
 *                  variable that holds one (a Slack webhook URL is a secret)
 * @param secretEnv webhook only: the environment variable holding a shared secret; each body is then signed,
 *                  header {@code X-Cicd-Signature: sha256=<hex HMAC-SHA256 of the body>}; {@code ""}: unsigned
 * @param headers   extra request headers (not {@code Content-Type}, {@code X-Cicd-Signature} or those the HTTP
 *                  client sets itself)
 * @param on        the outcome kinds sent (labels: {@code applied}, {@code in-sync}, ...); default
 *                  {@code [applied, failed, rejected, superseded]}
 * @param timeout   one request's timeout (default 10 s)
 * @param retry     retries of a request that failed (no answer, 5xx, 429)
 * @param queueSize outcomes waiting to be sent at most; when full the oldest is dropped (default 1000)
 */
public record NotifyConfig(String type, String name, String url, String secretEnv, Map<String, String> headers,
                           List<String> on, Duration timeout, Retry retry, Integer queueSize) {

    /** The types. */
    public static final String WEBHOOK = "webhook";
    public static final String SLACK = "slack";
    /** The prefix of a {@code url} read from an environment variable. */
    public static final String ENV = "env:";
    /** The kinds sent when {@code on} is not given. */
    public static final List<String> DEFAULT_ON = List.of("applied", "failed", "rejected", "superseded");

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SINK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-\\[\\]/]{0,62}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Set<String> RESERVED_HEADERS = Set.of("content-type", "x-cicd-signature", "content-length",
            "host", "connection", "expect", "upgrade", "transfer-encoding");

    public NotifyConfig {
        type = type == null ? "" : type.trim().toLowerCase(Locale.ROOT);
        if (!type.equals(WEBHOOK) && !type.equals(SLACK)) {
            throw new KeyProblem("type", type.isEmpty() ? "is required: webhook or slack"
                    : "must be webhook or slack, was '" + type + "'");
        }
        name = name == null ? "" : name.trim();
        if (!name.isEmpty() && !SINK_NAME.matcher(name).matches()) {
            throw new KeyProblem("name", "'" + name + "' must be 1-63 characters of [A-Za-z0-9_.-[]/]");
        }
        url = url == null ? "" : url.trim();
        if (url.isEmpty()) {
            throw new KeyProblem("url", "is required: an http:// or https:// URL, or env:VARIABLE");
        }
        if (url.startsWith(ENV)) {
            if (!ENV_NAME.matcher(url.substring(ENV.length())).matches()) {
                throw new KeyProblem("url", "'" + url + "': env: must name an environment variable");
            }
        } else {
            Checks.url("url", url);
        }
        secretEnv = secretEnv == null ? "" : secretEnv.trim();
        if (!secretEnv.isEmpty()) {
            if (!type.equals(WEBHOOK)) {
                throw new KeyProblem("secretEnv", "applies to type webhook only (a Slack webhook checks no signature)");
            }
            if (!ENV_NAME.matcher(secretEnv).matches()) {
                throw new KeyProblem("secretEnv", "'" + secretEnv + "' is not an environment variable name; give the "
                        + "variable's name, never the secret itself");
            }
        }
        Map<String, String> h = new LinkedHashMap<>();
        if (headers != null) {
            for (Map.Entry<String, String> e : headers.entrySet()) {
                String k = e.getKey() == null ? "" : e.getKey().trim();
                if (!HEADER_NAME.matcher(k).matches()) {
                    throw new KeyProblem("headers", "'" + k + "' is not a header name");
                }
                if (RESERVED_HEADERS.contains(k.toLowerCase(Locale.ROOT))) {
                    throw new KeyProblem("headers", "'" + k + "' is set by the runner; it cannot be configured");
                }
                String v = e.getValue() == null ? "" : e.getValue();
                if (v.chars().anyMatch(c -> c == '\r' || c == '\n')) {
                    throw new KeyProblem("headers", "the value of '" + k + "' holds a line break");
                }
                h.put(k, v);
            }
        }
        headers = Map.copyOf(h);
        List<String> kinds = new ArrayList<>();
        for (String k : on == null ? DEFAULT_ON : on) {
            try {
                String label = Outcome.Kind.parse(k == null ? "" : k.trim()).label();
                if (!kinds.contains(label)) {
                    kinds.add(label);
                }
            } catch (IllegalArgumentException e) {
                throw new KeyProblem("on", "'" + k + "' is not an outcome: applied, in-sync, rejected, failed or superseded");
            }
        }
        if (kinds.isEmpty()) {
            throw new KeyProblem("on", "lists no outcome; leave the sink out instead");
        }
        on = List.copyOf(kinds);
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
        Checks.positive("timeout", timeout);
        retry = retry == null ? new Retry(null, null, null, null) : retry;
        queueSize = queueSize == null ? 1000 : queueSize;
        if (queueSize < 1) {
            throw new KeyProblem("queueSize", "must be at least 1, was " + queueSize);
        }
    }

    /**
     * A {@code notify} list as given ({@code null}: empty), refusing empty entries and two sinks of one name.
     *
     * @param key the list's key, for messages ({@code notify})
     */
    public static List<NotifyConfig> list(String key, List<NotifyConfig> sinks) {
        List<NotifyConfig> out = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < (sinks == null ? 0 : sinks.size()); i++) {
            NotifyConfig n = sinks.get(i);
            if (n == null) {
                throw new KeyProblem(key + "[" + i + "]", "an empty entry; each sink needs at least type and url");
            }
            if (!n.name().isEmpty() && !names.add(n.name())) {
                throw new KeyProblem(key + "[" + i + "].name", "'" + n.name() + "' is used by two sinks");
            }
            out.add(n);
        }
        return List.copyOf(out);
    }

    /** Whether outcomes of this kind are sent. */
    public boolean sends(Outcome.Kind kind) {
        return on.contains(kind.label());
    }

    /**
     * How a failed request is tried again: after {@code initialBackoff}, doubling up to {@code maxBackoff}, at
     * most {@code attempts} requests in all and none started later than {@code maxTime} after the first.
     *
     * @param attempts       requests per outcome at most, the first included (default 5; 1 = no retry)
     * @param initialBackoff the pause before the second request (default 1 s)
     * @param maxBackoff     the longest pause (default 30 s)
     * @param maxTime        no request starts later than this after the first (default 2 m)
     */
    public record Retry(Integer attempts, Duration initialBackoff, Duration maxBackoff, Duration maxTime) {
        public Retry {
            attempts = attempts == null ? 5 : attempts;
            if (attempts < 1 || attempts > 100) {
                throw new KeyProblem("attempts", "must be between 1 (no retry) and 100, was " + attempts);
            }
            initialBackoff = initialBackoff == null ? Duration.ofSeconds(1) : initialBackoff;
            Checks.positive("initialBackoff", initialBackoff);
            maxBackoff = maxBackoff == null ? Duration.ofSeconds(30) : maxBackoff;
            Checks.positive("maxBackoff", maxBackoff);
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new KeyProblem("maxBackoff", "must be at least initialBackoff (" + Durations.format(initialBackoff)
                        + "), was " + Durations.format(maxBackoff));
            }
            maxTime = maxTime == null ? Duration.ofMinutes(2) : maxTime;
            Checks.positive("maxTime", maxTime);
        }

        /** The pause after the {@code n}th failed request (1-based): initial * 2^(n-1), at most maxBackoff. */
        public Duration backoff(int n) {
            Duration d = initialBackoff;
            for (int i = 1; i < n && d.compareTo(maxBackoff) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
        }
    }
}
