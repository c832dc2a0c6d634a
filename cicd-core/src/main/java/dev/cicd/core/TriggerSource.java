package dev.cicd.core;

import java.util.List;
import java.util.Map;

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
}
