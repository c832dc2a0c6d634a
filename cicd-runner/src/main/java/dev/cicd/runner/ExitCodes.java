package dev.cicd.runner;

/**
 * The exit codes of the {@code cicd} command line.
 *
 * <table>
 *   <caption>exit codes</caption>
 *   <tr><th>code</th><th>meaning</th></tr>
 *   <tr><td>0</td><td>success: applied or in sync; the daemon stopped cleanly</td></tr>
 *   <tr><td>1</td><td>some run failed ({@code once}, {@code selftest}: a count is off)</td></tr>
 *   <tr><td>2</td><td>bad usage, bad config, or a trigger that was rejected (bad input, nothing was done)</td></tr>
 *   <tr><td>3</td><td>the action failed</td></tr>
 *   <tr><td>4</td><td>timed out waiting for the outcome</td></tr>
 *   <tr><td>5</td><td>infrastructure: etcd unreachable, refused the credentials or timed out; no runner of the
 *   group is alive</td></tr>
 *   <tr><td>6</td><td>superseded: coalescing ran a newer value of the same target instead</td></tr>
 * </table>
 */
public final class ExitCodes {

    public static final int OK = 0;
    public static final int RUN_FAILED = 1;
    public static final int USAGE = 2;
    public static final int FAILED = 3;
    public static final int TIMED_OUT = 4;
    /** Infrastructure: etcd unreachable, auth refused, etcd timed out, or no runner of the group alive. */
    public static final int INFRA = 5;
    /** The value was skipped: a newer value for the same target ran instead (coalescing). */
    public static final int SUPERSEDED = 6;

    private ExitCodes() {
    }
}
