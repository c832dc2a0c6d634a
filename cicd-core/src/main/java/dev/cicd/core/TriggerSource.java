package dev.cicd.core;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Delivers the changes of watched keys, each revision once and in revision order per watch.
 */
public interface TriggerSource {

    /**
     * Starts delivering events of {@code watches} to {@code listener}.
     *
     * @param watches     what to watch
     * @param checkpoints per watch name, the last revision already processed: delivery resumes at
     *                    checkpoint + 1. A watch without a checkpoint starts from now, and the current
     *                    value of each of its keys is delivered once first.
     * @param listener    receives events and notices
     * @return closing it stops delivery; no listener call starts after {@code close()} returns
     */
    AutoCloseable start(List<WatchSpec> watches, Map<String, Long> checkpoints, TriggerListener listener);

    /**
     * The watch's keys and values as of {@code revision}, relative to the watch prefix. A pipeline that
     * resumes from a checkpoint reads it once, so templates that read other keys of the watch
     * ({@code getv}, {@code ls}, ...) see them as they were at the checkpoint, not only the keys changed
     * since. A source that cannot read an old revision (compacted) may answer with the current values.
     * Revision 0 asks for the current values (read before a first start, when the source delivers the
     * current values one by one).
     *
     * @return the keys (empty by default: a source that keeps no values)
     */
    default SortedMap<String, String> snapshot(WatchSpec watch, long revision) {
        return Collections.emptySortedMap();
    }

    /**
     * Backpressure: a subscription (what {@link #start} returned) that implements this lets the pipeline
     * stop a watch's delivery while too many of its events wait, and start it again later. A paused
     * watch loses nothing: it resumes after the last event it delivered.
     */
    interface FlowControl {
        /** Stops delivering the watch's events until {@link #resume}. */
        void pause(String watch);

        /** Delivers the watch's events again, from the one after the last delivered. */
        void resume(String watch);
    }
}
