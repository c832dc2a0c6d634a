package dev.cicd.core;

import java.util.SortedMap;

/** Turns an event into a plan by rendering the watch's template. */
public interface Renderer {

    /**
     * Renders {@code watch.template()} for the event.
     *
     * @param watch the watch the event belongs to
     * @param event the event
     * @param keys  the watch's keys as of this event's revision, relative to the watch prefix
     *              ({@code /trigger} -> value text); what confd's {@code getv}, {@code ls} and friends read
     * @return the plan
     * @throws CicdException {@link CicdException.Code#TEMPLATE} for a missing or broken template or an
     *                       undefined variable (naming the template and line);
     *                       {@link CicdException.Code#BAD_PAYLOAD} for a value that is not the JSON expected
     */
    Plan render(WatchSpec watch, TriggerEvent event, SortedMap<String, String> keys);
}
