package dev.cicd.core.internal.process;

import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environment a command run for an event gets (shell plans, a file action's check and reload):
 * the event's {@code CICD_*} variables, and of this JVM's own variables only the allowed names.
 */
public final class EventVariables {

    private static final Logger LOG = LoggerFactory.getLogger(EventVariables.class);
    /** Largest value passed in CICD_VALUE; Linux refuses a single environment string above 128 KiB. */
    private static final int MAX_ENV_VALUE_CHARS = 100_000;

    private EventVariables() {
    }

    /** This JVM's environment variables with one of {@code names}. */
    public static Map<String, String> inherited(Set<String> names) {
        Map<String, String> out = new LinkedHashMap<>(System.getenv());
        out.keySet().retainAll(names);
        return out;
    }

    /**
     * {@code CICD_WATCH}, {@code CICD_KEY}, {@code CICD_VALUE} (empty, with a warning, when the value holds
     * NUL or is too large for an environment string), {@code CICD_REVISION}, {@code CICD_CREATE_REVISION},
     * {@code CICD_VERSION}, {@code CICD_EVENT_TYPE}, {@code CICD_FINGERPRINT}.
     */
    public static Map<String, String> of(Plan plan) {
        TriggerEvent e = plan.event();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CICD_WATCH", e.watch());
        m.put("CICD_KEY", e.key());
        String value = e.text();
        if (value.indexOf('\0') >= 0 || value.length() > MAX_ENV_VALUE_CHARS) {
            LOG.warn("value of {} at revision {} is not passed in CICD_VALUE ({} characters{}); read it from the plan",
                    e.key(), e.modRevision(), value.length(), value.indexOf('\0') >= 0 ? ", contains NUL" : "");
            m.put("CICD_VALUE", "");
        } else {
            m.put("CICD_VALUE", value);
        }
        m.put("CICD_REVISION", Long.toString(e.modRevision()));
        m.put("CICD_CREATE_REVISION", Long.toString(e.createRevision()));
        m.put("CICD_VERSION", Long.toString(e.version()));
        m.put("CICD_EVENT_TYPE", e.type().name());
        m.put("CICD_FINGERPRINT", plan.fingerprint());
        return m;
    }
}
