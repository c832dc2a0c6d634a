package dev.cicd.core.support;

import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * slf4j-simple with a working MDC (slf4j-simple's own is a no-op), so tests can see the MDC keys the
 * pipeline sets. Selected with the system property {@code slf4j.provider} in the module's Surefire
 * configuration.
 */
public class MdcSimpleLogProvider extends SimpleServiceProvider {

    private final MDCAdapter mdc = new BasicMDCAdapter();

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }
}
