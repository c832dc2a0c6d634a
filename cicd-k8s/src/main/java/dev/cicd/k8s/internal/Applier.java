package dev.cicd.k8s.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Server-side apply (field manager {@value #FIELD_MANAGER}, conflicts forced) of prepared objects. */
public final class Applier {

    public static final String FIELD_MANAGER = "cicd";

    private static final Logger log = LoggerFactory.getLogger(Applier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VOLATILE_METADATA = List.of(
            "resourceVersion", "managedFields", "generation", "creationTimestamp", "uid", "selfLink");

    private final KubernetesClient client;

    public Applier(KubernetesClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /** How one object came out. */
    public enum Result { CREATED, CONFIGURED, UNCHANGED }

    /**
     * One applied object.
     *
     * @param item   the object as read from the manifest
     * @param result created, configured or unchanged
     * @param after  the object the server returned
     */
    public record Applied(Manifests.Item item, Result result, HasMetadata after) {
        /** {@code created Deployment ns/name}, ... */
        public String line() {
            return result.name().toLowerCase(java.util.Locale.ROOT) + " " + item.describe();
        }
    }

    /**
     * Applies the objects in order; each comes back created, configured or unchanged.
     *
     * @throws StepFailure at the first object that fails, with the objects applied so far in its message
     */
    public List<Applied> apply(List<Manifests.Item> items) {
        List<Applied> done = new ArrayList<>();
        for (Manifests.Item item : items) {
            HasMetadata obj = item.object();
            try {
                HasMetadata before = client.resource(obj).get();
                HasMetadata after = client.resource(obj).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
                Applied a = new Applied(item, classify(before, after), after);
                log.info("apply {}: {}", item.source(), a.line());
                done.add(a);
            } catch (KubernetesClientException e) {
                throw new StepFailure((done.isEmpty() ? "" : String.join("; ", done.stream().map(Applied::line).toList())
                        + "; then ") + "applying " + item.describe() + " from " + item.source() + " failed: "
                        + ApiErrors.describe(e), e);
            }
        }
        return done;
    }

    private Result classify(HasMetadata before, HasMetadata after) {
        if (before == null) {
            return Result.CREATED;
        }
        String rvBefore = before.getMetadata().getResourceVersion();
        if (rvBefore != null && rvBefore.equals(after.getMetadata().getResourceVersion())) {
            return Result.UNCHANGED;
        }
        return content(before).equals(content(after)) ? Result.UNCHANGED : Result.CONFIGURED;
    }

    private JsonNode content(HasMetadata o) {
        try {
            JsonNode n = JSON.readTree(client.getKubernetesSerialization().asJson(o));
            if (n instanceof ObjectNode on) {
                on.remove("status");
                if (on.get("metadata") instanceof ObjectNode meta) {
                    VOLATILE_METADATA.forEach(meta::remove);
                }
            }
            return n;
        } catch (IOException e) {
            throw new StepFailure("cannot compare " + o.getKind() + " " + o.getMetadata().getName() + ": " + e.getMessage(), e);
        }
    }
}
