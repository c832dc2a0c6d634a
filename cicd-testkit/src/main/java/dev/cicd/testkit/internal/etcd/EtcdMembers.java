package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The members of one fixture as a backend runs them (processes or containers). Starting returns
 * without waiting; {@link EtcdFixtureImpl} waits for readiness. Not thread-safe: the fixture
 * serialises calls.
 */
interface EtcdMembers extends AutoCloseable {

    EtcdBackend backend();

    int size();

    /** Client URL of a member; stable for the life of the fixture (except after {@link #relocate()}). */
    URI clientEndpoint(int member);

    Path logFile(int member);

    /** Starts every member that is not running. */
    void startAll();

    /** Starts one member that is not running (only after {@link #startAll()} ran once). */
    void start(int member);

    /** Stops one member: SIGTERM and a bounded wait when graceful, SIGKILL otherwise. */
    void stop(int member, boolean graceful);

    /** Whether the member was started and not stopped since (it may have died on its own). */
    boolean isRunning(int member);

    /** Why a member that should be running is not, e.g. "exited with code 1"; empty while it runs. */
    Optional<String> failure(int member);

    /** The last lines of the member's log, for error messages. */
    String logTail(int member);

    /** Whether the member's log says that a port was already taken. */
    boolean bindConflict(int member);

    /**
     * After a failed first start: forgets the data and moves to new ports. Returns false when the
     * backend cannot do that (then the start fails).
     */
    boolean relocate();

    /** Stops everything at once and deletes the data; logs stay. */
    @Override
    void close();
}
