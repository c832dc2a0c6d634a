package dev.cicd.testkit;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The requests a simulated API server received, in arrival order, so a test can assert on what
 * the code under test called (for example "no mutating call was made").
 *
 * <p>Requests made by the simulated deployment controller itself are not recorded. The log keeps
 * the latest 10,000 requests.
 */
public interface RequestLog {

    /**
     * One request.
     *
     * @param method      HTTP method in upper case ({@code GET}, {@code PATCH}, ...)
     * @param path        the URL path without the query string
     *                    ({@code /apis/apps/v1/namespaces/demo/deployments/web})
     * @param query       the raw query string without {@code ?}, empty when there is none
     * @param contentType the request's {@code Content-Type} header, empty when there is none
     */
    record Request(String method, String path, String query, String contentType) {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(contentType, "contentType");
            if (method.isBlank()) {
                throw new IllegalArgumentException("method is blank");
            }
            method = method.toUpperCase(Locale.ROOT);
        }

        /** Whether the request may change state: every method except GET, HEAD and OPTIONS. */
        public boolean mutating() {
            return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
        }

        @Override
        public String toString() {
            String q = query.isEmpty() ? "" : "?" + query;
            String ct = contentType.isEmpty() ? "" : " (" + contentType + ")";
            return method + " " + path + q + ct;
        }
    }

    /** A snapshot of every recorded request, oldest first. */
    List<Request> requests();

    /** A snapshot of the recorded requests that are {@link Request#mutating() mutating}. */
    default List<Request> mutating() {
        return requests().stream().filter(Request::mutating).toList();
    }

    /** Forgets every request recorded so far. */
    void clear();
}
