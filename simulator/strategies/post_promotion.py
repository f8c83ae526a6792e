"""Watching a promoted version: seed 000's background health check with automatic rollback.

A wrapper around any strategy (Gymnasium-style): the wrapped strategy runs
unchanged; when it finishes having promoted the candidate, the watch starts
instead of the run's end. Rules of the watch::

    INNER      the wrapped strategy's commands pass through; when they end
               with Finish after a promotion                     -> WATCHING
               (after a rollback, or without a decision: Finish as it is)
    WATCHING   every interval: the promoted version's last interval against
               maxErrorRate and maxResponseTime (its mean latency)
                 fail, rollback: true: start the previous version at its
                   former size, decide rolled_back (after promotion) -> RESTORING
                 fail, rollback: false: log it and keep watching
                 pass or inconclusive (fewer than minimumRequests): keep watching
               duration over: finish, promoted                   -> done
    RESTORING  previous version ready: all traffic back to it, remove the candidate -> done
               not ready within readyTimeout: the candidate keeps the traffic -> done

The watch starts when the wrapped strategy finishes (after blue-green's
``keepBlueDuration``, for instance), so its first check covers the first
``interval`` of the promoted version serving alone. The previous version
pays its start-up again: seed 000 rolls back by redeploying it.
"""

from __future__ import annotations

from enum import Enum

from simulator.analysis.thresholds import absolute_limits
from simulator.commands import Command, Decide, Finish, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.observations import Observation
from simulator.scenario.post_promotion_config import PostPromotionWatch
from simulator.strategies.base import Strategy, state_of

__all__ = ["WatchAfterPromotion"]


class _Phase(Enum):
    INNER = "inner"
    WATCHING = "watching_after_promotion"
    RESTORING = "restoring_after_promotion"
    DONE = "done"


class WatchAfterPromotion:
    """Run ``inner``; after it promotes, keep checking the promoted version and roll back on a failed check."""

    def __init__(self, inner: Strategy, config: PostPromotionWatch) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.config = config
        self.phase = _Phase.INNER
        self.promoted = False
        self.stable_replicas = 0
        self.watch_started_at = 0.0
        self.checks = 0
        self.failures = 0

    @property
    def state(self) -> str:
        """The wrapped strategy's state while it runs, then the watch's phase (for error messages)."""
        if self.phase is _Phase.INNER:
            return state_of(self.inner)
        return self.phase.value

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.phase is _Phase.INNER:
            if not self.stable_replicas:
                self.stable_replicas = max(1, observation.desired(observation.stable))
            commands = self.inner.step(observation)
            for command in commands:
                if isinstance(command, Decide):
                    self.promoted = command.outcome == "promoted"
            if not isinstance(commands[-1], Finish) or not self.promoted:
                return commands
            self.phase = _Phase.WATCHING
            self.watch_started_at = observation.now
            note = Note(kind="check", detail=f"watching {observation.candidate} after promotion: a health check "
                                             f"every {self.config.interval:g}s for {self.config.duration:g}s",
                        data={"after_promotion": True, "interval_s": self.config.interval,
                              "duration_s": self.config.duration})
            return [*commands[:-1], note, Wait(seconds=self._next_wait(observation.now))]
        if self.phase is _Phase.WATCHING:
            return self._check(observation)
        if self.phase is _Phase.RESTORING:
            self.phase = _Phase.DONE
            if observation.ready(observation.stable) < self.stable_replicas:
                return [Note(kind="check", detail=f"rollback after promotion failed: {observation.stable} not ready "
                                                  f"within {self.config.ready_timeout:g}s; {observation.candidate} "
                                                  "keeps the traffic",
                             data={"after_promotion": True, "restored": False}),
                        ScaleTo(version=observation.stable, replicas=0), Finish()]
            return [SetWeights(weights={observation.stable: 100.0, observation.candidate: 0.0}),
                    ScaleTo(version=observation.candidate, replicas=0), Finish()]
        raise RuntimeError("post-promotion watch stepped after it finished")

    def _next_wait(self, now: float) -> float:
        """Seconds to the next check, or to the watch's end if that comes first."""
        remaining = self.watch_started_at + self.config.duration - now
        return max(0.0, min(self.config.interval, remaining))

    def _check(self, observation: Observation) -> list[Command]:
        config = self.config
        metrics = observation.metrics
        window = min(config.interval, observation.now - self.watch_started_at)
        result = absolute_limits(
            metrics.window(observation.candidate, window), max_error_rate=config.max_error_rate,
            max_response_time=config.max_response_time, minimum_requests=config.minimum_requests,
            max_staleness=2 * metrics.scrape_interval,
        )
        self.checks += 1
        elapsed = observation.now - self.watch_started_at
        data = {"after_promotion": True, "elapsed_s": elapsed, **result.to_dict()}
        detail = f"health check after promotion, {elapsed:g}s in: {result.verdict}: {result.summary()}"
        if result.verdict == "fail":
            self.failures += 1
            if config.rollback:
                self.phase = _Phase.RESTORING
                reason = (f"health check {elapsed:g}s after promotion failed: {result.summary()}; rolled back to "
                          f"{observation.stable}")
                return [
                    Note(kind="check", detail=detail, data=data),
                    ScaleTo(version=observation.stable, replicas=self.stable_replicas),
                    Decide(outcome="rolled_back", reason=reason, analysis=data, after_promotion=True),
                    WaitUntilReady(version=observation.stable, timeout=config.ready_timeout),
                ]
        commands: list[Command] = [Note(kind="check", detail=detail, data=data)]
        if elapsed >= config.duration - 1e-9:
            self.phase = _Phase.DONE
            summary = (f"watch after promotion over: {self.checks} checks, {self.failures} failed"
                       + ("" if config.rollback else " (rollback: false)"))
            return [*commands, Note(kind="check", detail=summary, data={"after_promotion": True,
                                                                           "checks": self.checks,
                                                                           "failures": self.failures}), Finish()]
        return [*commands, Wait(seconds=self._next_wait(observation.now))]
