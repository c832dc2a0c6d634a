package dev.cicd.runner.internal.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cicd.core.Durations;
import dev.cicd.core.WatchSpec.Coalesce;
import dev.cicd.k8s.OnFailure;
import dev.cicd.runner.RunnerSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The strict YAML binding of the config records, and the deserializers of its value types. */
final class ConfigMapper {

    private ConfigMapper() {
    }

    /** A YAML mapper that fails on unknown and duplicate keys, with the config's duration and choice values. */
    static ObjectMapper create() {
        SimpleModule module = new SimpleModule("cicd-config");
        module.addDeserializer(Duration.class, new DurationDeserializer());
        module.addDeserializer(OnFailure.class, new ChoiceDeserializer<>(OnFailure.class, OnFailure::parse));
        module.addDeserializer(RunnerSettings.LogFormat.class,
                new ChoiceDeserializer<>(RunnerSettings.LogFormat.class, RunnerSettings.LogFormat::parse));
        module.addDeserializer(Coalesce.class, new ChoiceDeserializer<>(Coalesce.class, Coalesce::parse));
        YAMLFactory factory = YAMLFactory.builder().build();
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return YAMLMapper.builder(factory)
                .addModule(module)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            if (text == null) {
                throw InvalidFormatException.from(p, "expected a duration", p.getText(), Duration.class);
            }
            try {
                return Durations.parse(text);
            } catch (IllegalArgumentException e) {
                InvalidFormatException ife = InvalidFormatException.from(p, e.getMessage(), text, Duration.class);
                ife.initCause(e);
                throw ife;
            }
        }
    }

    /**
     * A value out of a fixed set (an enum with a lenient {@code parse}): a bad one is reported as
     * {@code must be none or undo, was 'x'}, with a suggestion when it is a near miss.
     */
    static final class ChoiceDeserializer<E extends Enum<E>> extends JsonDeserializer<E> {
        private final Class<E> type;
        private final Function<String, E> parse;

        ChoiceDeserializer(Class<E> type, Function<String, E> parse) {
            this.type = type;
            this.parse = parse;
        }

        @Override
        public E deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return type.cast(ctxt.handleUnexpectedToken(type, p));
            }
            String text = p.getValueAsString();
            try {
                return parse.apply(text);
            } catch (IllegalArgumentException e) {
                List<String> names = java.util.Arrays.stream(type.getEnumConstants())
                        .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
                String msg = "must be " + String.join(" or ", names) + ", was '" + text + "'"
                        + ConfigErrors.didYouMean(text == null ? "" : text.trim(), names);
                InvalidFormatException ife = InvalidFormatException.from(p, msg, text, type);
                ife.initCause(new IllegalArgumentException(msg, e));
                throw ife;
            }
        }
    }
}
