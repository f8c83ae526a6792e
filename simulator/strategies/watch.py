"""Watching a candidate: checks inside a step, baselines, and what an inconclusive check leads to.

One evaluation semantics for the strategies that watch (canary steps, the
blue-green watch after the switch):

* **In-step checks.** Every ``analysisInterval`` during a step, the error
  rule and the absolute limits (``maxErrorRate``, ``maxResponseTime`` on the
  mean) are evaluated on the sliding window of the last ``analysisWindow``
  seconds (Argo Rollouts' measurements, Flagger's interval checks, seed 000's
  check every 30 s). The relative latency rule, accuracy and drift wait for the
  step-end check: a minute's labels are too few to judge a few points of
  accuracy, and a minute's 99th percentile of a canary on one or two
  replicas swings with queue bursts (measured: checked every 30 s at
  utilisation 0.7, an identical candidate was rolled back in 45 % of seeds),
  and dozens of such checks a rollout would roll back good candidates by
  chance. A failed
  check counts; more than ``failureLimit`` failed checks
  in a rollout abort it at once (Argo's ``failureLimit``, Flagger's
  ``threshold``); the default 0 aborts at the first, as seed 000 does. A
  short window must hold enough requests for the error rule to rest on at
  least three errors (:func:`in_step_minimum_requests`), else the check is
  inconclusive: a rollout makes dozens of these checks, and on a thin window
  two chance errors would roll a good candidate back.
  An in-step check never passes a step: passing or inconclusive in-step
  checks only let the step go on. The short-window check also runs at the
  step's end and while waiting for data.
* **The step-end check.** When the step's ``monitoringDuration`` is over,
  the rules are evaluated over the whole step window; only this check can
  pass a step.
* **Inconclusive.** A step-end check that is inconclusive (too few requests,
  labels not yet arrived, no drift score) never passes. The strategy looks
  again every ``recheckInterval`` up to ``maxDataWait`` (default: the step's
  ``monitoringDuration`` plus the labels' delay, so that a step can see
  the labels of its own predictions), then does what
  ``onInconclusive`` says: ``wait`` (the default: roll back at the bound),
  ``rollback`` (at once, without waiting), ``promote`` (proceed as if passed,
  said in the reason), or ``pause`` (hold where it is: the run ends
  incomplete, as an Argo rollout paused for a person). The reason names the
  rules that could not be evaluated.
* **Baselines.** The candidate is judged against the stable version over the
  same window. Where the stable version serves nothing (a canary at 100 %,
  after a blue-green switch), the baseline is its last window before the
  change, and the check says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from simulator.analysis.thresholds import CheckResult, compare_to_baseline
from simulator.observations import MetricSeries, Observation, WindowStats
from simulator.scenario.strategy_config import RollbackThresholds

__all__ = ["WatchSettings", "StepWatch", "Baseline", "evaluate", "in_step_minimum_requests", "InconclusiveAction",
           "PAUSE_SECONDS"]

InconclusiveAction = Literal["rollback", "promote", "pause", "keep_waiting"]
"""What to do now about an inconclusive step-end check."""

PAUSE_SECONDS = 10.0 * 365 * 86400
"""A pause lasts until the run ends (longer than any horizon)."""


class WatchSettings(Protocol):
    """The config keys of a watching strategy (seconds for durations), read-only."""

    @property
    def monitoring_duration(self) -> float: ...
    @property
    def analysis_interval(self) -> float: ...
    @property
    def analysis_window(self) -> float: ...
    @property
    def failure_limit(self) -> int: ...
    @property
    def on_inconclusive(self) -> str: ...
    @property
    def recheck_interval(self) -> float: ...
    @property
    def max_data_wait(self) -> float | None: ...
    @property
    def rollback_thresholds(self) -> RollbackThresholds: ...
    @property
    def latency_metric(self) -> str: ...
    @property
    def minimum_requests(self) -> int: ...
    @property
    def minimum_labels(self) -> int: ...


@dataclass
class Baseline:
    """The stable version's window a check compares with: concurrent, or frozen before a change.

    ``frozen`` is set by :meth:`freeze` just before the stable version stops
    serving; while it is set, every check uses it. ``fresh`` names a fresh
    baseline deployment of the stable version (a canary's ``baseline:
    fresh``): checks compare with it over the same window instead of with
    the stable version's own replicas.
    """

    frozen: WindowStats | None = None
    frozen_series: MetricSeries | None = None
    fresh: str | None = None

    def freeze(self, observation: Observation, duration: float, *, series: bool = False) -> None:
        """Keep the stable version's window of the last ``duration`` seconds (and its per-interval ``series``)."""
        self.frozen = observation.metrics.window(observation.stable, duration)
        if series:
            self.frozen_series = observation.metrics.series(observation.stable, duration)

    def describe(self) -> str:
        """How the baseline was taken, for reasons and events."""
        if self.frozen is None and self.fresh is not None:
            return f"against the fresh baseline {self.fresh} over the same window"
        if self.frozen is None:
            return "against the stable version over the same window"
        return (f"against {self.frozen.version}'s last window before the change "
                f"({self.frozen.start:g}-{self.frozen.end:g}s)")


def evaluate(observation: Observation, settings: WatchSettings, window: float, baseline: Baseline, *,
             in_step: bool = False) -> CheckResult:
    """The rollback rules, candidate over the last ``window`` seconds against the baseline.

    ``in_step`` keeps the error rule and the absolute limits (seed 000 checks
    ``MaxErrorRate`` and ``MaxResponseTime`` every 30 s).
    """
    metrics = observation.metrics
    frozen = baseline.frozen
    stable = frozen if frozen is not None else metrics.window(baseline.fresh or observation.stable, window)
    rules = settings.rollback_thresholds
    minimum_requests = settings.minimum_requests
    if in_step:
        rules = rules.model_copy(update={"accuracy_drop": None, "drift_score": None, "latency_increase": None})
        minimum_requests = in_step_minimum_requests(rules, minimum_requests, stable.error_rate)
    return compare_to_baseline(
        metrics.window(observation.candidate, window),
        stable,
        rules,
        latency_metric=settings.latency_metric,
        minimum_requests=minimum_requests,
        minimum_labels=settings.minimum_labels,
        max_staleness=2 * metrics.scrape_interval,
        drift_score=observation.drift_score(observation.candidate),
        frozen_baseline=frozen is not None,
    )


EVENTS_PER_RULE = 3
"""Errors the short-window error rule must rest on."""


def in_step_minimum_requests(rules: RollbackThresholds, minimum_requests: int,
                             baseline_error_rate: float | None = None) -> int:
    """Requests a short window needs before its error rule is fair.

    With fewer, a couple of chance errors breach ``errorRateIncrease``, and
    dozens of such checks a rollout would roll back good candidates. The rule
    needs ``3 / errorRateIncrease`` requests, and enough that its limit is
    three standard errors of the difference of two windows at the baseline's
    error rate ``p`` (``9 x 2p(1 - p) / limit^2``: a shared outage failing
    half of all requests needs far more than a healthy service). The absolute
    ``maxErrorRate`` likewise needs ``3 / maxErrorRate`` requests and
    ``9 p(1 - p) / (maxErrorRate - p)^2``. Below that the check is
    inconclusive and the step-end check over the whole step decides.
    """
    needed = minimum_requests
    limit = rules.error_rate_increase
    if limit:
        needed = max(needed, math.ceil(EVENTS_PER_RULE / limit))
        if baseline_error_rate:
            spread = 2 * baseline_error_rate * (1 - baseline_error_rate)
            needed = max(needed, math.ceil(EVENTS_PER_RULE**2 * spread / limit**2))
    ceiling = rules.max_error_rate
    if ceiling:
        # The absolute limit: a candidate as healthy as the baseline must sit three standard errors below it.
        needed = max(needed, math.ceil(EVENTS_PER_RULE / ceiling))
        if baseline_error_rate and baseline_error_rate < ceiling:
            spread = baseline_error_rate * (1 - baseline_error_rate)
            needed = max(needed, math.ceil(EVENTS_PER_RULE**2 * spread / (ceiling - baseline_error_rate) ** 2))
    return needed


@dataclass
class StepWatch:
    """The clock and counters of the watches of one rollout.

    ``failures`` counts failed in-step checks over the whole rollout;
    ``waiting_since`` is when the step-end check first came out inconclusive.
    """

    settings: WatchSettings
    started_at: float = 0.0
    failures: int = 0
    waiting_since: float | None = None
    duration: float | None = None

    def begin(self, now: float, duration: float | None = None) -> float:
        """Start a step (or watch) of ``duration`` seconds (default ``monitoringDuration``) at ``now``.

        Returns the seconds to wait before the first look.
        """
        self.started_at = now
        self.waiting_since = None
        self.duration = duration
        return self.next_look(now)

    @property
    def step_duration(self) -> float:
        """Seconds the current step runs before its step-end check."""
        return self.settings.monitoring_duration if self.duration is None else self.duration

    def remaining(self, now: float) -> float:
        """Seconds of the step left."""
        return self.started_at + self.step_duration - now

    def in_step(self, now: float) -> bool:
        """Whether the step is still running (an in-step check is due, not the step-end one)."""
        return self.remaining(now) > 1e-6

    def next_look(self, now: float) -> float:
        """Seconds to the next in-step check or to the step's end, whichever is first."""
        return max(0.0, min(self.settings.analysis_interval, self.remaining(now)))

    def count(self, result: CheckResult) -> bool:
        """Count an in-step check; whether the failures now exceed ``failureLimit``."""
        if result.verdict == "fail":
            self.failures += 1
        return self.failures > self.settings.failure_limit

    def on_inconclusive(self, now: float, label_delay: float = 0.0) -> tuple[InconclusiveAction, float]:
        """What to do about an inconclusive step-end check at ``now``, and how long it has been inconclusive.

        ``label_delay`` (seconds) lengthens the default bound: labels of the step's predictions arrive that late.
        """
        settings = self.settings
        if self.waiting_since is None:
            self.waiting_since = now
        waited = now - self.waiting_since
        if settings.on_inconclusive == "rollback":
            return "rollback", waited
        limit = settings.max_data_wait
        if limit is None:
            limit = self.step_duration + label_delay
        if waited < limit - 1e-9:
            return "keep_waiting", waited
        if settings.on_inconclusive == "promote":
            return "promote", waited
        if settings.on_inconclusive == "pause":
            return "pause", waited
        return "rollback", waited

    def passed(self) -> None:
        """The step-end check passed: stop waiting."""
        self.waiting_since = None
