package dev.cicd.core.internal.process;

import java.util.Locale;
import java.util.Optional;

/**
 * Picks how this JVM starts processes ({@code jdk.lang.Process.launchMechanism}), for a program whose
 * {@code main} calls {@link #preferVfork()} before anything starts a process (the JDK reads the
 * property once, when the first process starts).
 *
 * <p>On Linux, JDK 12 to 24 start a process by {@code posix_spawn} of the JDK's {@code jspawnhelper},
 * which then executes the command: two {@code exec}s. {@code VFORK} (the default up to JDK 11)
 * executes the command directly, which saves about a millisecond per script start (measured in
 * docs/benchmarks.md, "Shell action start"). JDK 25 deprecated {@code VFORK} (it prints a warning at
 * the first process start) and a later JDK removes it, so it is chosen only on JDK 17 to 24, only on
 * Linux, and never over a value given on the command line ({@code
 * -Djdk.lang.Process.launchMechanism=POSIX_SPAWN} keeps the JDK's default).
 */
public final class ProcessLaunch {

    /** The JDK's system property. */
    public static final String PROPERTY = "jdk.lang.Process.launchMechanism";
    /** The last JDK feature release on which VFORK is supported without a deprecation warning. */
    static final int LAST_VFORK_RELEASE = 24;

    private ProcessLaunch() {
    }

    /**
     * Sets {@link #PROPERTY} to {@code VFORK} when this JVM supports it and it is not set yet.
     *
     * @return the value set, or empty when nothing was set
     */
    public static Optional<String> preferVfork() {
        Optional<String> choice = choose(System.getProperty("os.name", ""), Runtime.version().feature(),
                System.getProperty(PROPERTY));
        choice.ifPresent(v -> System.setProperty(PROPERTY, v));
        return choice;
    }

    /** The value to set for this OS, JDK feature release and current value (null: unset). */
    static Optional<String> choose(String osName, int feature, String current) {
        if (current != null && !current.isBlank()) {
            return Optional.empty();
        }
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux") || feature > LAST_VFORK_RELEASE) {
            return Optional.empty();
        }
        return Optional.of("VFORK");
    }
}
