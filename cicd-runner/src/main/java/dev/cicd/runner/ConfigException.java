package dev.cicd.runner;

import dev.cicd.core.CicdException;

/**
 * A configuration file or an environment override is wrong. The message is one line that names the
 * file and line, the key, or the environment variable concerned.
 */
public final class ConfigException extends CicdException {

    public ConfigException(String message) {
        super(Code.CONFIG, message);
    }

    public ConfigException(String message, Throwable cause) {
        super(Code.CONFIG, message, cause);
    }
}
