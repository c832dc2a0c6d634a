package dev.cicd.runner.internal.cli;

import dev.cicd.core.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** {@code 30s}, {@code 5m}, {@code PT1M}, or seconds. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        Duration d = Durations.parse(value);
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.TypeConversionException("must be positive, was '" + value + "'");
        }
        return d;
    }
}
