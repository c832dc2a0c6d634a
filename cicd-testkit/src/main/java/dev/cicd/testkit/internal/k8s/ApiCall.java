package dev.cicd.testkit.internal.k8s;

import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;

/**
 * What one request to the simulated API server asks for, parsed once: the method, the resource path,
 * the content type (lower case) and whether it is a {@code dryRun=All}.
 */
record ApiCall(RecordedRequest request, String method, ApiPath api, String contentType, boolean dryRun) {

    /** The request body as UTF-8 text ("" when there is none). */
    String body() {
        return body(request);
    }

    static String body(RecordedRequest request) {
        return request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
    }

    static String body(MockResponse response) {
        return response.getBody() == null ? "" : new String(response.getBody().getBytes(), StandardCharsets.UTF_8);
    }
}
