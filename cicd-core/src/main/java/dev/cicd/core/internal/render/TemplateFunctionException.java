package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import io.pebbletemplates.pebble.error.PebbleException;
import java.util.Objects;

/** A template function or filter failed; carries the {@link CicdException.Code} the renderer reports. */
public final class TemplateFunctionException extends PebbleException {

    private final transient CicdException.Code code;

    public TemplateFunctionException(CicdException.Code code, String message, int lineNumber, String templateName,
            Throwable cause) {
        super(cause, message, lineNumber, templateName);
        this.code = Objects.requireNonNull(code, "code");
    }

    public CicdException.Code code() {
        return code;
    }
}
