package dev.cicd.runner.internal.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerSignatures;
import dev.cicd.etcd.EtcdGateway;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.StatusRecord;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.runner.EtcdConfig;
import dev.cicd.runner.ExitCodes;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.internal.logging.LogSetup;
import dev.cicd.runner.internal.wiring.Wiring;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "trigger", sortOptions = false,
        description = {"Put a trigger into etcd (what CI does) and, with --wait, wait for the outcome of exactly "
                + "this put: exit 0 applied or in sync, 2 rejected, 3 failed, 4 timed out, 5 infrastructure (etcd "
                + "unreachable, no runner alive), 6 superseded. While waiting, each in-progress record of the runner "
                + "is printed as one line."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:applied or in sync (or put, without --wait)",
            "2:rejected (bad input, nothing was done), bad usage",
            "3:failed (the action or the rollout failed)",
            "4:timed out: no outcome within --timeout",
            "5:infrastructure: etcd unreachable, refused the credentials or timed out; no runner of the group alive",
            "6:superseded: coalescing ran a newer value of the same target instead (the reason names it)"
        })
final class TriggerCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerCommand.class);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--endpoints", split = ",", paramLabel = "URL",
            defaultValue = "${env:CICD_ETCD_ENDPOINTS:-http://127.0.0.1:2379}",
            description = "etcd endpoints, comma-separated (default: CICD_ETCD_ENDPOINTS or http://127.0.0.1:2379).")
    List<String> endpoints;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Take etcd settings and the status prefix from this runner config (with its CICD_* overrides); "
                    + "--endpoints is then ignored.")
    Path config;

    @Option(names = "--user", defaultValue = "${env:CICD_ETCD_USER}", description = "etcd user (default: CICD_ETCD_USER).")
    String user;

    @Option(names = "--password", defaultValue = "${env:CICD_ETCD_PASSWORD}", description = "etcd password (default: CICD_ETCD_PASSWORD).")
    String password;

    @Option(names = "--cacert", defaultValue = "${env:CICD_ETCD_TLS_CA}", description = "CA file for https endpoints.")
    Path caFile;

    @Option(names = "--cert", defaultValue = "${env:CICD_ETCD_TLS_CERT}", description = "Client certificate file.")
    Path certFile;

    @Option(names = "--key-file", defaultValue = "${env:CICD_ETCD_TLS_KEY}", description = "Client key file (PKCS#8 PEM).")
    Path keyFile;

    @Option(names = "--status-prefix", defaultValue = "/cicd/.status",
            description = "Where runners write status records (default: ${DEFAULT-VALUE}).")
    String statusPrefix;

    @Option(names = "--group", paramLabel = "GROUP", defaultValue = "${env:CICD_RUNNER_GROUP}",
            description = "The runner group expected to process the trigger (default: CICD_RUNNER_GROUP; with -c, the "
                    + "config's runner.group; else any group). --wait fails with exit 5 when none of its runners is alive.")
    String group;

    @Option(names = "--runner-grace", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long --wait tolerates no live runner of the group (no key under its election prefix) "
                    + "before exit 5 (default: ${DEFAULT-VALUE}; 0 turns the check off).")
    Duration runnerGrace;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json: the final status record as one JSON object on stdout; the other lines "
                    + "go to stderr (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Option(names = {"-k", "--key"}, required = true, paramLabel = "KEY", description = "The trigger key, e.g. /cicd/rollout/trigger.")
    String key;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Value value;

    static final class Value {
        @Option(names = "--json", paramLabel = "JSON", required = true, description = "The whole trigger value.")
        String json;

        @ArgGroup(exclusive = false)
        Fields fields;
    }

    static final class Fields {
        @Option(names = "--action", defaultValue = "deploy", description = "deploy or undo (default: ${DEFAULT-VALUE}).")
        String action;

        @Option(names = "--namespace", required = true, description = "k8sNamespace.")
        String namespace;

        @Option(names = "--app", required = true, description = "appName.")
        String app;

        @Option(names = "--service", required = true, description = "svcName.")
        String service;

        @Option(names = "--tag", description = "imageTag (required for deploy).")
        String tag;

        @Option(names = "--request-id", description = "requestId, copied into the status record.")
        String requestId;
    }

    @Option(names = "--wait", description = "Wait for the outcome of this put.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "Sign the value (cicd-sig-v1, see the README's \"Signed triggers\") with this key: a shared "
                    + "secret file (hmac-sha256) or an Ed25519 private key (PEM, openssl genpkey -algorithm ed25519). "
                    + "Needs --key-id.")
    Path signKey;

    @Option(names = "--key-id", paramLabel = "ID", description = "The key id the runner knows the signing key by.")
    String keyId;

    @Option(names = "--alg", paramLabel = "ALG",
            description = "hmac-sha256 or ed25519 (default: ed25519 for a PEM file, else hmac-sha256).")
    String alg;

    @Option(names = "--valid-for", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long the signature is valid (default: ${DEFAULT-VALUE}; a runner accepts at most its "
                    + "verify.maxValidity, 15m by default).")
    Duration validFor;

    @Option(names = "--transport", paramLabel = "T", defaultValue = "auto",
            description = "How to talk to etcd: http (its v3 JSON gateway: no gRPC stack, starts ~0.6 s sooner), "
                    + "grpc, or auto: http, and grpc when the endpoint does not serve the gateway (etcd before 3.4) "
                    + "(default: ${DEFAULT-VALUE}).")
    Transport transport;

    /** How {@code trigger} talks to etcd. */
    enum Transport { AUTO, HTTP, GRPC }

    /** Set once the put went through: a fallback to gRPC after that would put the trigger twice. */
    private boolean published;

    @Override
    public Integer call() {
        boolean asJson = output == OutputFormat.JSON;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter info = asJson ? spec.commandLine().getErr() : out;
        String json = json();
        TriggerSignatures.Signer signer = signer();
        if (runnerGrace.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runner-grace must be >= 0, was " + runnerGrace);
        }
        EtcdConfig etcd;
        String prefix = statusPrefix;
        String runnerGroup = group;
        if (config != null) {
            RunnerConfig c = RunnerConfig.load(config);
            etcd = c.etcd();
            prefix = c.runner().statusPrefix();
            runnerGroup = c.runner().group();
        } else {
            etcd = new EtcdConfig(endpoints, user, password, new EtcdConfig.Tls(
                    caFile == null ? null : caFile.toAbsolutePath().toString(),
                    certFile == null ? null : certFile.toAbsolutePath().toString(),
                    keyFile == null ? null : keyFile.toAbsolutePath().toString()));
        }
        if (transport != Transport.GRPC) {
            try (EtcdGateway gateway = Wiring.gateway(etcd)) {
                return publish(TriggerPublisher.builder(gateway), prefix, runnerGroup, signer, json, out, info, asJson);
            } catch (CicdException e) {
                if (transport == Transport.HTTP || published || !EtcdGateway.isGatewayMissing(e)) {
                    throw e;
                }
                if (!grpcOnClassPath()) {
                    // bin/cicd leaves the gRPC jars off trigger's class path unless --transport grpc is given
                    throw new CicdException(CicdException.Code.SOURCE, e.getMessage() + "; run again with --transport grpc",
                            e);
                }
                LOG.debug("{}; using gRPC", e.getMessage());
            }
        }
        LogSetup.routeJul();
        try (Client client = Wiring.etcd(etcd, Duration.ofSeconds(5))) {
            return publish(TriggerPublisher.builder(client), prefix, runnerGroup, signer, json, out, info, asJson);
        }
    }

    private int publish(TriggerPublisher.Builder pb, String prefix, String runnerGroup, TriggerSignatures.Signer signer,
            String json, PrintWriter out, PrintWriter info, boolean asJson) {
        pb.statusPrefix(prefix);
        if (signer != null) {
            pb.signer(signer, validFor);
        }
        if (await && !runnerGrace.isZero()) {
            if (runnerGroup == null || runnerGroup.isBlank()) {
                pb.requireAnyRunner(runnerGrace);
            } else {
                pb.requireRunner(runnerGroup, runnerGrace);
            }
        }
        TriggerPublisher publisher = pb.build();
        if (!await) {
            long rev = publisher.publish(key, json);
            published = true;
            info.printf("put %s at revision %d%n", key, rev);
            info.flush();
            if (asJson) {
                ObjectNode n = Json.MAPPER.createObjectNode().put("key", key).put("revision", rev);
                out.println(n);
                out.flush();
            }
            return ExitCodes.OK;
        }
        // watching first, then putting: the outcome arrives as soon as the runner writes it
        PublishResult r = publisher.publishAndAwait(key, json, timeout, put -> {
            published = true;
            synchronized (info) {
                info.printf("put %s at revision %d%n", key, put);
                info.flush();
            }
        }, p -> {
            synchronized (info) {
                info.println(p.describe());
                info.flush();
            }
        });
        long rev = r.revision();
        if (r.timedOut()) {
            info.printf("timed out: no outcome for revision %d within %s (is a runner watching %s?)%n", rev,
                    timeout, key);
            info.flush();
            if (asJson) {
                out.println(Json.MAPPER.createObjectNode().put("key", key).put("revision", rev).put("outcome", "timed-out")
                        .put("reason", r.reason()));
                out.flush();
            }
            return ExitCodes.TIMED_OUT;
        }
        StatusRecord s = r.status().orElseThrow();
        long ms = Duration.between(s.started(), s.finished()).toMillis();
        synchronized (info) {
            info.printf("%s by watch %s (runner %s) in %d ms%s%s%n", s.outcome().label(), s.watch(), s.runnerId(), ms,
                    s.reason().isEmpty() ? "" : ": " + s.reason(), s.runLog().map(l -> "; run log " + l).orElse(""));
            info.flush();
        }
        if (asJson) {
            out.println(s.toJson());
            out.flush();
        }
        return exitCode(s.outcome());
    }

    /** The signer of --sign-key and --key-id, or null without them. */
    private TriggerSignatures.Signer signer() {
        if (signKey == null) {
            if (keyId != null || alg != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--key-id and --alg need --sign-key FILE");
            }
            return null;
        }
        if (keyId == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sign-key needs --key-id ID");
        }
        if (validFor.isNegative() || validFor.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--valid-for must be positive, was " + validFor);
        }
        try {
            return TriggerSignatures.Signer.fromFile(keyId, signKey, alg == null ? null : TriggerSignatures.Alg.parse(alg));
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sign-key: cannot read " + signKey + ": " + e);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sign-key: " + e.getMessage());
        }
    }

    private String json() {
        if (value.json != null) {
            return value.json;
        }
        Fields f = value.fields;
        if (f.action.equals("deploy") && (f.tag == null || f.tag.isBlank())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tag is required with --action deploy");
        }
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("action", f.action);
        n.put("k8sNamespace", f.namespace);
        n.put("appName", f.app);
        n.put("svcName", f.service);
        if (f.tag != null) {
            n.put("imageTag", f.tag);
        }
        Optional.ofNullable(f.requestId).ifPresent(id -> n.put("requestId", id));
        return n.toString();
    }

    private static boolean grpcOnClassPath() {
        try {
            Class.forName("io.etcd.jetcd.Client", false, TriggerCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Jackson, made when first needed (not when picocli builds the command). */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    static int exitCode(Outcome.Kind k) {
        return switch (k) {
            case APPLIED, IN_SYNC -> ExitCodes.OK;
            case REJECTED -> ExitCodes.USAGE;
            case FAILED -> ExitCodes.FAILED;
            case SUPERSEDED -> ExitCodes.SUPERSEDED;
        };
    }
}
