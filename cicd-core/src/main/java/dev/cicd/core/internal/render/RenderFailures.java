package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import dev.cicd.core.TriggerEvent;
import io.pebbletemplates.pebble.error.AttributeNotFoundException;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.error.RootAttributeNotFoundException;

/**
 * Pebble's failures of a render as {@link CicdException}s: a template function's own code, a value that
 * is not JSON read through {@code data} ({@link CicdException.Code#BAD_PAYLOAD}), anything else
 * {@link CicdException.Code#TEMPLATE}; each naming the template or target expression, the line, the watch,
 * the key and the revision.
 */
public final class RenderFailures {

    private RenderFailures() {
    }

    /** A failure evaluating or compiling template {@code name}. */
    public static CicdException template(RuntimeException e, String name, TriggerEvent event, RenderContext context) {
        TemplateFunctionException tfe = cause(e, TemplateFunctionException.class);
        if (tfe != null) {
            return new CicdException(tfe.code(), at(tfe, name) + tfe.getPebbleMessage() + where(event), e);
        }
        RootAttributeNotFoundException noData = dataUndefined(e, context);
        if (noData != null) {
            return new CicdException(CicdException.Code.BAD_PAYLOAD, payload(event, context.payloadProblem()) + "; "
                    + at(noData, name) + "the template uses '" + RenderContext.DATA + "'" + where(event), e);
        }
        AttributeNotFoundException missing = cause(e, AttributeNotFoundException.class);
        if (missing != null && !(missing instanceof RootAttributeNotFoundException)
                && missingFromPayload(missing.getAttributeName(), event)) {
            String field = ShellText.oneLine(missing.getAttributeName());
            return new CicdException(CicdException.Code.BAD_PAYLOAD, "payload field '" + field + "' is missing"
                    + shapeOf(event) + " (" + at(missing, name).replaceAll(": $", "") + " reads it)" + where(event), e);
        }
        if (e instanceof PebbleException pe) {
            return new CicdException(CicdException.Code.TEMPLATE, at(pe, name) + pe.getPebbleMessage() + where(event), e);
        }
        return new CicdException(CicdException.Code.TEMPLATE, "template '" + name + "': " + e + where(event), e);
    }

    /**
     * Whether an attribute a template read is a field the payload does not have: bad input, not a broken
     * template. (A typo in a template reads a name no payload carries either; the message names the field
     * and the template line, so both are found.)
     */
    private static boolean missingFromPayload(String attribute, TriggerEvent event) {
        return attribute != null && !event.text().contains("\"" + attribute + "\"");
    }

    /** ", the payload is a JSON array" and the like, when the payload is not an object. */
    private static String shapeOf(TriggerEvent event) {
        String t = event.text().strip();
        if (t.startsWith("[")) {
            return " (the payload is a JSON array, expected an object)";
        }
        return t.startsWith("{") || t.isEmpty() ? "" : " (the payload is not a JSON object)";
    }

    /**
     * A failure evaluating the target expression of {@code watch}: as for a template, except that a missing
     * attribute ({@code data.appName} of a payload without it) is {@link CicdException.Code#BAD_PAYLOAD}.
     */
    public static CicdException target(RuntimeException e, String watch, TriggerEvent event, RenderContext context) {
        String what = "target expression of watch " + watch;
        TemplateFunctionException tfe = cause(e, TemplateFunctionException.class);
        if (tfe != null) {
            return new CicdException(tfe.code(), what + ": " + tfe.getPebbleMessage() + where(event), e);
        }
        if (dataUndefined(e, context) != null) {
            return new CicdException(CicdException.Code.BAD_PAYLOAD, payload(event, context.payloadProblem()) + "; the "
                    + what + " uses '" + RenderContext.DATA + "'" + where(event), e);
        }
        AttributeNotFoundException missing = cause(e, AttributeNotFoundException.class);
        if (missing != null && !(missing instanceof RootAttributeNotFoundException)) {
            return new CicdException(CicdException.Code.BAD_PAYLOAD, what + " reads attribute '"
                    + ShellText.oneLine(missing.getAttributeName()) + "', which does not exist" + where(event), e);
        }
        String message = e instanceof PebbleException pe ? pe.getPebbleMessage() : e.toString();
        return new CicdException(CicdException.Code.TEMPLATE, what + ": " + message + where(event), e);
    }

    /** " (watch W, key K, revision R)". */
    public static String where(TriggerEvent event) {
        return " (watch " + event.watch() + ", key " + event.key() + ", revision " + event.modRevision() + ")";
    }

    private static String payload(TriggerEvent event, String problem) {
        String value = "value of " + event.key() + " at revision " + event.modRevision();
        return event.value().length == 0 ? value + " is empty, expected JSON" : value + " is not valid JSON: " + problem;
    }

    /** Pebble's "undefined variable data", when it is undefined because the value is not JSON. */
    private static RootAttributeNotFoundException dataUndefined(Throwable e, RenderContext context) {
        if (context == null || context.payloadProblem() == null) {
            return null;
        }
        // wrapped when it happens in an {% if %} condition ("Wrong operand(s) type in conditional expression")
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RootAttributeNotFoundException r && RenderContext.DATA.equals(r.getAttributeName())) {
                return r;
            }
        }
        return null;
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String at(PebbleException e, String name) {
        String file = e.getFileName() == null ? name : e.getFileName();
        return "template '" + file + "'" + (e.getLineNumber() == null ? "" : " line " + e.getLineNumber()) + ": ";
    }
}
