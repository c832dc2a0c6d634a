package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Renders a watch's {@code target} expression ({@code {{ data.k8sNamespace }}/{{ data.appName }}}) with the
 * context of the event's template, each distinct expression compiled once. The result, stripped, must be
 * one line of 1 to {@value #MAX_LENGTH} characters.
 *
 * <p>Thread-safe.
 */
public final class TargetExpressions {

    /** Longest target accepted. */
    public static final int MAX_LENGTH = 512;

    /** How much of a rejected target a message quotes. */
    static final int QUOTE_LENGTH = 80;

    private final PebbleEngine engine;
    private final ConcurrentMap<String, PebbleTemplate> compiled = new ConcurrentHashMap<>();

    public TargetExpressions(PebbleEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    /**
     * The event's targets: the rendered expression, or an empty list (meaning the event's key) when the watch
     * has none.
     *
     * @throws CicdException {@link CicdException.Code#BAD_PAYLOAD} when the expression reads a field the value
     *                       lacks, reads {@code data} of a value that is not JSON, or renders an empty, too long
     *                       or multi-line target; {@link CicdException.Code#TEMPLATE} when it does not compile
     *                       or reads an undefined variable
     */
    public List<String> render(WatchSpec watch, TriggerEvent event, RenderContext context) {
        if (watch.target().isEmpty()) {
            return List.of();
        }
        PebbleTemplate template = compiled(watch, event);
        StringWriter out = new StringWriter(64);
        try {
            template.evaluate(out, context);
        } catch (IOException e) {
            throw new CicdException(CicdException.Code.INTERNAL, "target expression of watch " + watch.name()
                    + ": writing failed" + RenderFailures.where(event) + ": " + e, e);
        } catch (RuntimeException e) {
            throw RenderFailures.target(e, watch.name(), event, context);
        }
        String target = out.toString().strip();
        String problem = problem(target);
        if (problem != null) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD, "target expression of watch " + watch.name()
                    + " rendered '" + quote(target) + "', " + problem + RenderFailures.where(event));
        }
        return List.of(target);
    }

    private PebbleTemplate compiled(WatchSpec watch, TriggerEvent event) {
        String expression = watch.target().get();
        PebbleTemplate t = compiled.get(expression);
        if (t != null) {
            return t;
        }
        try {
            t = engine.getLiteralTemplate(expression);
        } catch (RuntimeException e) {
            String why = e instanceof PebbleException pe ? pe.getPebbleMessage() : e.toString();
            throw new CicdException(CicdException.Code.TEMPLATE, "target expression of watch " + watch.name() + " '"
                    + quote(expression) + "' does not compile: " + ShellText.oneLine(why) + RenderFailures.where(event), e);
        }
        PebbleTemplate raced = compiled.putIfAbsent(expression, t);
        return raced != null ? raced : t;
    }

    private static String problem(String target) {
        if (target.isEmpty()) {
            return "which is empty";
        }
        if (target.length() > MAX_LENGTH) {
            return "which is longer than " + MAX_LENGTH + " characters (" + target.length() + ")";
        }
        if (target.indexOf('\n') >= 0 || target.indexOf('\r') >= 0) {
            return "which is more than one line";
        }
        return null;
    }

    /** The start of the text on one line, for a message. */
    static String quote(String text) {
        return text.length() <= QUOTE_LENGTH
                ? ShellText.oneLine(text)
                : ShellText.oneLine(text.substring(0, QUOTE_LENGTH)) + "...";
    }
}
