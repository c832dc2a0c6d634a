package dev.cicd.core;

/** The kind of change an etcd watch reports. */
public enum EventType {
    PUT,
    DELETE
}
