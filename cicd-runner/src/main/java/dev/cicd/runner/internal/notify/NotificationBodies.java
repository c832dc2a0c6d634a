package dev.cicd.runner.internal.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The request bodies of the sinks, and the webhook's signature. */
final class NotificationBodies {

    /** The header carrying {@code sha256=<hex HMAC-SHA256 of the body>} when the webhook has a secret. */
    static final String SIGNATURE_HEADER = "X-Cicd-Signature";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest reason put in a Slack message (the whole reason is in the status record and the webhook body). */
    private static final int SLACK_REASON = 500;

    private NotificationBodies() {
    }

    /**
     * The webhook body: {@code {"watch", "key", "revision", "outcome", "reason", "requestId", "targets", "exitCode",
     * "started", "finished", "durationMs", "runner", "group"}}; {@code requestId} and {@code exitCode} are null when
     * absent, times are ISO-8601 UTC.
     */
    static byte[] webhook(Outcome o, List<String> targets, String runner, String group) {
        ObjectNode n = JSON.createObjectNode();
        n.put("watch", o.watch());
        n.put("key", o.event().key());
        n.put("revision", o.revision());
        n.put("outcome", o.kind().label());
        n.put("reason", o.reason());
        if (o.requestId().isPresent()) {
            n.put("requestId", o.requestId().get());
        } else {
            n.putNull("requestId");
        }
        ArrayNode t = n.putArray("targets");
        targets.forEach(t::add);
        if (o.exitCode().isPresent()) {
            n.put("exitCode", o.exitCode().getAsInt());
        } else {
            n.putNull("exitCode");
        }
        n.put("started", o.started().toString());
        n.put("finished", o.finished().toString());
        n.put("durationMs", Duration.between(o.started(), o.finished()).toMillis());
        n.put("runner", runner);
        n.put("group", group);
        return bytes(n);
    }

    /**
     * A Slack incoming-webhook body: {@code {"text": ...}}, one line such as
     * {@code :x: cicd rollout *failed* r42 ns/demo1-gateway (request abc): reason}, with Slack's {@code & < >}
     * escaped so a payload cannot add links or mentions.
     */
    static byte[] slack(Outcome o, List<String> targets, String runner) {
        String mark = switch (o.kind()) {
            case APPLIED -> ":white_check_mark:";
            case IN_SYNC -> ":ballot_box_with_check:";
            case REJECTED -> ":no_entry:";
            case FAILED -> ":x:";
            case SUPERSEDED -> ":fast_forward:";
        };
        StringBuilder sb = new StringBuilder(mark).append(" cicd ").append(escape(o.watch())).append(" *")
                .append(o.kind().label()).append("* r").append(o.revision());
        if (!targets.isEmpty()) {
            sb.append(' ').append(escape(String.join(", ", targets)));
        }
        o.requestId().ifPresent(id -> sb.append(" (request ").append(escape(id)).append(')'));
        if (o.exitCode().isPresent()) {
            sb.append(" exit ").append(o.exitCode().getAsInt());
        }
        if (!o.reason().isEmpty()) {
            String r = o.reason().replace('\n', ' ').replace('\r', ' ');
            sb.append(": ").append(escape(r.length() > SLACK_REASON ? r.substring(0, SLACK_REASON) + "..." : r));
        }
        sb.append(" [runner ").append(escape(runner)).append(']');
        ObjectNode n = JSON.createObjectNode();
        n.put("text", sb.toString());
        return bytes(n);
    }

    /** {@code sha256=<hex HMAC-SHA256 of body with secret>}. */
    static String signature(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e, e);
        }
    }

    /** Slack's escaping of text: {@code &}, {@code <}, {@code >}. */
    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a notification body: " + e, e);
        }
    }
}
