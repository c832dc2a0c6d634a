package dev.cicd.core;

/** Receives what a {@link TriggerSource} delivers. Calls for one watch never overlap and come in revision order. */
public interface TriggerListener {

    /** One event of a watch. Must return quickly (enqueue); it is called on the source's thread. */
    void onEvent(TriggerEvent event);

    /** A gap, reset or connection change. */
    default void onNotice(SourceNotice notice) {
    }
}
