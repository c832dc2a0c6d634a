package dev.cicd.core;

/**
 * Carries out a plan. Implementations return a result value for every expected failure (bad input ->
 * {@link ActionResult#rejected}, a failing command or API call -> {@link ActionResult#failed}); an
 * exception thrown anyway is turned into a {@code FAILED} outcome by the pipeline.
 */
@FunctionalInterface
public interface Action {

    ActionResult execute(Plan plan, ActionContext context);
}
