package dev.cicd.runner.internal.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Action;
import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LazyActionTest {

    @Test
    void theLazyKubernetesActionReadsTargetsFromTheBuiltActionAndComparesLiveState() {
        AtomicInteger built = new AtomicInteger();
        Action real = new Action() {
            @Override
            public ActionResult execute(Plan plan, ActionContext context) {
                return ActionResult.applied("");
            }

            @Override
            public Set<String> targets(Plan plan) {
                return Set.of("ns-demo1-dev/demo1-gateway");
            }
        };
        Wiring.LazyAction lazy = new Wiring.LazyAction(() -> {
            built.incrementAndGet();
            return real;
        });
        Plan plan = Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", "{}", 1), "steps: []");
        assertEquals(Set.of("ns-demo1-dev/demo1-gateway"), lazy.targets(plan));
        assertEquals(Set.of("ns-demo1-dev/demo1-gateway"), lazy.targets(plan));
        assertEquals(1, built.get(), "built once");
        assertTrue(lazy.comparesLiveState());
    }
}
