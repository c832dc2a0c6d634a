/**
 * The core of cicd, free of vendor SDKs: a {@link dev.cicd.core.TriggerSource} delivers each change of a watched
 * key once and in revision order as a {@link dev.cicd.core.TriggerEvent}; a {@link dev.cicd.core.Renderer}
 * ({@link dev.cicd.core.PebbleRenderer}, with confd-like template functions) turns it into a
 * {@link dev.cicd.core.Plan}; the {@link dev.cicd.core.Pipeline} queues plans per target, skips those already in
 * sync ({@link dev.cicd.core.Deduplicator}), has an {@link dev.cicd.core.Action} (such as
 * {@link dev.cicd.core.ShellAction}) carry them out, and records exactly one {@link dev.cicd.core.Outcome} per
 * event in a {@link dev.cicd.core.StateStore} and a {@link dev.cicd.core.RunLog}.
 *
 * <p>{@link dev.cicd.core.WatchSpec} says what to watch and what to do with it (one confd template resource);
 * {@link dev.cicd.core.Validation} checks payload fields before they reach a command or an API call;
 * {@link dev.cicd.core.TriggerSignatures} signs and verifies trigger values. {@link dev.cicd.core.InMemoryTriggerSource}
 * and {@link dev.cicd.core.InMemoryStateStore} run the pipeline without etcd (tests, embedding). Expected
 * failures are values ({@link dev.cicd.core.ActionResult}, {@link dev.cicd.core.Outcome}); the one exception type
 * is {@link dev.cicd.core.CicdException}. Packages named {@code internal} are not API.
 */
package dev.cicd.core;
