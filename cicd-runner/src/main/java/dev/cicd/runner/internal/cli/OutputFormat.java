package dev.cicd.runner.internal.cli;

/** The {@code -o} of commands that print a result: for people, or one JSON document on stdout. */
enum OutputFormat {
    TEXT, JSON
}
