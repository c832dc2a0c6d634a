package dev.cicd.core.internal.render;

import dev.cicd.core.CicdException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Pebble functions modelled on confd's template functions, plus the {@code sh} and {@code oneline}
 * filters. The functions live in a table ({@link FunctionTable}) filled by job: the watch's keys
 * ({@link KeyFunctions}), text, paths and JSON ({@link TextFunctions}), numbers ({@link NumberFunctions}),
 * Go's built-ins and confd's list functions ({@link GoTemplateFunctions}), DNS ({@link LookupFunctions}),
 * and the environment ({@code datetime}, {@code getenv}, here).
 *
 * <p>The per-render state (the watch's keys and the event) is read from the context variable
 * {@link #SCOPE_VARIABLE}.
 */
public final class ConfdExtension extends AbstractExtension {

    /** Context variable holding the {@link RenderScope} of the current render. */
    public static final String SCOPE_VARIABLE = "__cicd_scope";

    /** Largest list {@code seq} builds, so a payload cannot make a template allocate without bound. */
    public static final int SEQ_MAX = 100_000;

    private final Set<String> allowEnv;
    private final Set<String> allowLookup;
    private final Clock clock;
    private final UnaryOperator<String> env;
    private final Map<String, Function> functions;
    private final Map<String, Filter> filters;

    /**
     * @param allowEnv    environment variables {@code getenv} may read
     * @param allowLookup names {@code lookupIP} and {@code lookupSRV} may resolve ({@code *.domain} for the
     *                    names below a domain)
     * @param clock       what {@code datetime()} reads
     * @param env         the environment ({@code System::getenv} in production)
     */
    public ConfdExtension(Set<String> allowEnv, Set<String> allowLookup, Clock clock, UnaryOperator<String> env) {
        this.allowEnv = Collections.unmodifiableSet(new TreeSet<>(allowEnv));
        this.allowLookup = Collections.unmodifiableSet(new TreeSet<>(allowLookup));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.env = Objects.requireNonNull(env, "env");
        FunctionTable table = new FunctionTable();
        KeyFunctions.register(table);
        TextFunctions.register(table);
        NumberFunctions.register(table);
        GoTemplateFunctions.register(table);
        LookupFunctions.register(table, this.allowLookup);
        registerEnvironment(table);
        this.functions = table.build();
        this.filters = Map.of(
                "sh", new TextFilter("sh", ShellText::quote),
                "oneline", new TextFilter("oneline", ShellText::oneLine));
    }

    @Override
    public Map<String, Function> getFunctions() {
        return functions;
    }

    @Override
    public Map<String, Filter> getFilters() {
        return filters;
    }

    private void registerEnvironment(FunctionTable t) {
        t.fn("datetime", List.of(), 0, a -> ZonedDateTime.now(clock));
        t.fn("getenv", List.of("name", "default"), 1, a -> {
            String name = a.str("name");
            if (!allowEnv.contains(name)) {
                throw a.fail("getenv: environment variable '" + ShellText.oneLine(name)
                        + "' is not on the allow-list " + allowEnv);
            }
            String value = env.apply(name);
            if ((value == null || value.isEmpty()) && a.has("default")) {
                return a.str("default");
            }
            return value == null ? "" : value;
        });
    }

    private static final class TextFilter implements Filter {
        private final String name;
        private final UnaryOperator<String> op;

        TextFilter(String name, UnaryOperator<String> op) {
            this.name = name;
            this.op = op;
        }

        @Override
        public List<String> getArgumentNames() {
            return List.of();
        }

        @Override
        public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
                int lineNumber) {
            if (!args.isEmpty()) {
                throw new TemplateFunctionException(CicdException.Code.TEMPLATE,
                        "filter " + name + " takes no arguments", lineNumber, self.getName(), null);
            }
            return op.apply(input == null ? null : input.toString());
        }
    }
}
