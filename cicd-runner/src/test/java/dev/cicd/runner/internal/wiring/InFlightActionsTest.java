package dev.cicd.runner.internal.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Action;
import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code /livez} calls wedged, on a clock the test moves. */
class InFlightActionsTest {

    @TempDir
    Path dir;

    @Test
    void anActionRunningPastTimeoutGraceAndSlackIsWedgedUntilItReturns() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        InFlightActions inFlight = new InFlightActions(Duration.ofSeconds(10), now::get);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Action stuck = new Action() {
            @Override
            public ActionResult execute(Plan plan, ActionContext context) {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ActionResult.applied("");
            }

            @Override
            public Set<String> targets(Plan plan) {
                return Set.of("t");
            }
        };
        Action tracked = inFlight.track("shell", stuck);
        WatchSpec spec = WatchSpec.builder("rollout").prefix("/cicd/rollout").template("t").action("shell")
                .timeout(Duration.ofMinutes(1)).build();
        Plan plan = Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", "{}", 7), "echo");
        assertEquals(Set.of("t"), tracked.targets(plan), "the wrapper passes targets through");
        CompletableFuture<ActionResult> run = CompletableFuture.supplyAsync(
                () -> tracked.execute(plan, new ActionContext(spec, spec.timeout(), dir)));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertEquals(1, inFlight.count());

        // timeout 60 s + grace 10 s + slack 30 s = 100 s: not yet wedged at exactly that
        now.addAndGet(Duration.ofSeconds(100).toNanos());
        assertEquals(List.of(), inFlight.wedged());
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        List<String> wedged = inFlight.wedged();
        assertEquals(1, wedged.size(), wedged.toString());
        assertTrue(wedged.get(0).startsWith("watch rollout: action shell on thread "), wedged.get(0));
        assertTrue(wedged.get(0).endsWith("has run 101 s, timeout 60 s"), wedged.get(0));

        release.countDown();
        assertEquals(ActionResult.applied(""), run.get(10, TimeUnit.SECONDS));
        assertEquals(0, inFlight.count());
        assertEquals(List.of(), inFlight.wedged(), "a returned action is forgotten");
    }
}
