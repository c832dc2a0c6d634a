package dev.cicd.core;

import java.util.OptionalLong;

/** The last processed revision per watch, saved after each outcome so a restart resumes after it. */
public interface CheckpointStore {

    /** The last revision processed for the watch, or empty when the watch never ran. */
    OptionalLong load(String watch);

    /** Records that every revision up to and including {@code revision} was processed for the watch. */
    void save(String watch, long revision);
}
