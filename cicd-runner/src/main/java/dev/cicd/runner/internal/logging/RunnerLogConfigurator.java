package dev.cicd.runner.internal.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's first configuration (found through {@code META-INF/services}): the runner's defaults
 * ({@link LogSetup.Settings#DEFAULT}, text on stderr), or what {@link LogSetup#configure} is asking for
 * when it is what starts Logback, without reading a file, so a logger made before
 * {@code Main} configures logging, or in a test or an embedding program, logs like the runner. A
 * {@code -Dlogback.configurationFile} hands over to Logback's own file configuration.
 */
public final class RunnerLogConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (LogSetup.external()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogSetup.install(context, LogSetup.first());
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
