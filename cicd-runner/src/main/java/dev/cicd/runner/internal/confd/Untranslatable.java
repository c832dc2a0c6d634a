package dev.cicd.runner.internal.confd;

/** A Go template construct with no Pebble translation; the message says why. */
final class Untranslatable extends RuntimeException {
    Untranslatable(String message) {
        super(message);
    }
}
