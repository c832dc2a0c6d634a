package dev.cicd.runner.internal.config;

/**
 * A config value that is wrong, thrown by the config records' constructors. {@link #key()} is the
 * key relative to the record (e.g. {@code httpPort}), so the loader can add the path, file and line.
 */
public final class KeyProblem extends IllegalArgumentException {

    private final String key;
    private final String problem;

    public KeyProblem(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
        this.problem = problem;
    }

    /** The key relative to the record that threw, possibly dotted ({@code tls.cert}). */
    public String key() {
        return key;
    }

    /** The problem, without the key. */
    public String problem() {
        return problem;
    }
}
