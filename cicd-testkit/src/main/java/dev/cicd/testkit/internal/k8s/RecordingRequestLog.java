package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.RequestLog;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A thread-safe {@link RequestLog} the simulated API server appends to. It keeps the latest
 * {@value #CAPACITY} requests, so a long-running simulated cluster does not grow without bound.
 */
final class RecordingRequestLog implements RequestLog {

    static final int CAPACITY = 10_000;

    private final Deque<Request> requests = new ArrayDeque<>();

    void record(Request request) {
        synchronized (requests) {
            if (requests.size() == CAPACITY) {
                requests.removeFirst();
            }
            requests.addLast(request);
        }
    }

    @Override
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    @Override
    public void clear() {
        synchronized (requests) {
            requests.clear();
        }
    }
}
