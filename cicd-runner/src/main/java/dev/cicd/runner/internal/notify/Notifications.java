package dev.cicd.runner.internal.notify;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.NotifyConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The runner's notification sinks as one {@link OutcomeSink}: each outcome goes to the top-level
 * {@code notify} sinks and to its watch's own, when the sink's {@code on} lists its kind. Sending happens on
 * each sink's own thread ({@link HttpSink}); the pipeline's thread only queues. {@link #close()} gives the
 * sinks {@link #DEFAULT_FLUSH} in all to send what is queued.
 */
public final class Notifications implements OutcomeSink, AutoCloseable {

    /** How long {@link #close()} lets the sinks send what is queued, all sinks together. */
    public static final Duration DEFAULT_FLUSH = Duration.ofSeconds(5);

    /** A sink and the watch it is for (empty: every watch). */
    private record Route(HttpSink sink, NotifyConfig config, Optional<String> watch) {
    }

    private final List<Route> routes;
    private final Duration flush;

    private Notifications(List<Route> routes, Duration flush) {
        this.routes = routes;
        this.flush = flush;
    }

    /**
     * The sinks of the config; no thread is started until an outcome is queued.
     *
     * @param env the environment {@code url: env:VAR} and {@code secretEnv} are read from
     * @throws ConfigException naming the sink's key when a variable it names is unset or holds no http(s) URL
     */
    public static Notifications create(RunnerConfig config, MeterRegistry registry, Map<String, String> env) {
        return create(config, registry, env, DEFAULT_FLUSH);
    }

    /** As {@link #create(RunnerConfig, MeterRegistry, Map)}, with the time {@link #close()} gives the sinks. */
    public static Notifications create(RunnerConfig config, MeterRegistry registry, Map<String, String> env,
                                       Duration flush) {
        Objects.requireNonNull(registry, "registry");
        HttpSink.HttpClientHolder http = new HttpSink.HttpClientHolder();
        String runner = config.runner().id();
        String group = config.runner().group();
        List<Route> routes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < config.notifications().size(); i++) {
            NotifyConfig n = config.notifications().get(i);
            routes.add(route(n, "notify[" + i + "]", Optional.empty(), runner, group, http, registry, env, names));
        }
        for (WatchConfig w : config.watches()) {
            for (int i = 0; i < w.notifications().size(); i++) {
                NotifyConfig n = w.notifications().get(i);
                routes.add(route(n, "watches[" + w.name() + "].notify[" + i + "]", Optional.of(w.name()), runner, group,
                        http, registry, env, names));
            }
        }
        return new Notifications(List.copyOf(routes), flush);
    }

    private static Route route(NotifyConfig n, String key, Optional<String> watch, String runner, String group,
                               HttpSink.HttpClientHolder http, MeterRegistry registry, Map<String, String> env,
                               Set<String> names) {
        String name = n.name().isEmpty() ? key : n.name();
        if (!names.add(name)) {
            throw new ConfigException(key + ".name: '" + name + "' is used by two sinks (names label the metrics)");
        }
        URI uri = uri(n, key, env);
        Optional<byte[]> secret = Optional.empty();
        if (!n.secretEnv().isEmpty()) {
            String s = env.get(n.secretEnv());
            if (s == null || s.isEmpty()) {
                throw new ConfigException(key + ".secretEnv: the environment variable " + n.secretEnv() + " is not set");
            }
            secret = Optional.of(s.getBytes(StandardCharsets.UTF_8));
        }
        BiFunction<Outcome, List<String>, byte[]> body = n.type().equals(NotifyConfig.SLACK)
                ? (o, t) -> NotificationBodies.slack(o, t, runner)
                : (o, t) -> NotificationBodies.webhook(o, t, runner, group);
        return new Route(new HttpSink(name, uri, secret, n, body, http, registry), n, watch);
    }

    private static URI uri(NotifyConfig n, String key, Map<String, String> env) {
        String url = n.url();
        String from = "";
        if (url.startsWith(NotifyConfig.ENV)) {
            String var = url.substring(NotifyConfig.ENV.length());
            url = env.get(var);
            if (url == null || url.isBlank()) {
                throw new ConfigException(key + ".url: the environment variable " + var + " is not set");
            }
            url = url.trim();
            from = " (from the environment variable " + var + ")";
        }
        try {
            URI u = new URI(url);
            String scheme = String.valueOf(u.getScheme()).toLowerCase(java.util.Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                throw new ConfigException(key + ".url" + from + ": must be an http:// or https:// URL with host"
                        + (from.isEmpty() ? ", was '" + url + "'" : ""));
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(key + ".url" + from + ": not a URL: " + e.getReason());
        }
    }

    /** Whether no sink is configured. */
    public boolean isEmpty() {
        return routes.isEmpty();
    }

    /** The sinks' names, in config order. */
    public List<String> names() {
        return routes.stream().map(r -> r.sink().name()).toList();
    }

    @Override
    public void onOutcome(Outcome outcome) {
        onOutcome(outcome, List.of(outcome.event().key()));
    }

    @Override
    public void onOutcome(Outcome outcome, List<String> targets) {
        for (Route r : routes) {
            if (r.config().sends(outcome.kind()) && r.watch().map(outcome.watch()::equals).orElse(true)) {
                r.sink().offer(new HttpSink.Delivery(outcome, List.copyOf(targets)));
            }
        }
    }

    /** Whether every sink has sent (or given up on) everything queued. */
    public boolean idle() {
        return routes.stream().allMatch(r -> r.sink().idle());
    }

    /** Sends what is queued for up to the flush time (all sinks together), then stops the senders. */
    @Override
    public void close() {
        long deadline = System.nanoTime() + flush.toNanos();
        for (Route r : routes) {
            r.sink().shutdown(deadline);
        }
        for (Route r : routes) {
            r.sink().awaitStopped(deadline);
        }
    }
}
