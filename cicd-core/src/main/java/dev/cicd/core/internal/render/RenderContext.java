package dev.cicd.core.internal.render;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The variables of one render, as the map Pebble looks them up in (per access, through {@code get} and
 * {@code containsKey}): the renderer's variables plus {@value #DATA}, the event value parsed as JSON on
 * first access and kept for the rest of the render (template and target expression share one parse).
 *
 * <p>A value that is not JSON leaves {@value #DATA} undefined, so a template that never reads it renders
 * plain values ({@code getv} templates), {@code data is defined} is {@code false}, and a template that
 * reads it fails with Pebble's own undefined-variable error (strict variables), carrying the template line;
 * {@link #payloadProblem()} then says why the value was not JSON.
 *
 * <p>One render, one thread: not thread-safe.
 */
public final class RenderContext extends AbstractMap<String, Object> {

    /** The variable holding the parsed value. */
    public static final String DATA = "data";

    private static final Object UNPARSED = new Object();

    private final Map<String, Object> variables;
    private final String text;
    private Object data = UNPARSED;
    private String payloadProblem;

    /**
     * @param variables the variables of every render (copied)
     * @param text      the event value, parsed when {@value #DATA} is first read
     */
    public RenderContext(Map<String, Object> variables, String text) {
        this.variables = new HashMap<>(16 + variables.size() * 2);
        this.variables.putAll(variables);
        this.text = text;
    }

    @Override
    public Object get(Object name) {
        if (DATA.equals(name)) {
            return data();
        }
        return variables.get(name);
    }

    @Override
    public boolean containsKey(Object name) {
        if (DATA.equals(name)) {
            data();
            return payloadProblem == null;
        }
        return variables.containsKey(name);
    }

    @Override
    public Object put(String name, Object value) {
        if (DATA.equals(name)) {
            Object old = data == UNPARSED ? null : data;
            data = value;
            payloadProblem = null;
            return old;
        }
        return variables.put(name, value);
    }

    /** A snapshot (parses the value; {@value #DATA} is left out when it is not JSON). */
    @Override
    public Set<Entry<String, Object>> entrySet() {
        Map<String, Object> all = new HashMap<>(variables);
        if (containsKey(DATA)) {
            all.put(DATA, data);
        }
        return Collections.unmodifiableMap(all).entrySet();
    }

    /**
     * Why the value is not JSON ({@code "it is empty"} or the parser's message with line and column), or
     * {@code null} when it is, or when nothing has read {@value #DATA} yet.
     */
    public String payloadProblem() {
        return payloadProblem;
    }

    private Object data() {
        if (data == UNPARSED) {
            try {
                data = PlainJson.parse(text);
            } catch (PlainJson.InvalidJsonException e) {
                data = null;
                payloadProblem = e.getMessage();
            }
        }
        return data;
    }
}
