"""Rolling update, as seeds 000 and 002 run it.

Rules of the state machine::

    START      route by ready replicas; start batch 1        -> STARTING
    STARTING   batch ready: stop as many stable replicas,
               wait ``delay``                                -> CHECKING
               not ready within readyTimeout                 -> ROLLING_BACK
    CHECKING   health check of the candidate:
                 healthy, replicas left to replace           -> STARTING (next batch)
                 healthy, all replaced                       -> promoted, done
                 no data: wait recheckInterval (fail after maxDataWait)
                 unhealthy                                   -> ROLLING_BACK
    ROLLING_BACK  stable back to full size; once ready, remove the candidate -> done
    PAUSING    (onFailure: pause, instead of ROLLING_BACK) stable back to its size before
               the failed batch; once ready, remove the failed batch's replicas  -> PAUSED
    PAUSED     hold the mix of versions until the run ends (outcome incomplete)

The health check (seed 000's ``ValidateModelHealthAsync``) passes when every
candidate replica asked for is ready, the candidate's error rate is at most
``errorRateThreshold`` and its latency at most ``responseTimeThreshold``,
and, if ``rollbackThresholds`` is given, the candidate passes them against
the stable replicas still serving -- or, once too few are left to have
``minimumRequests`` in the window (the last batch), against the stable
version's last window before its replicas were stopped. A rule that cannot be
evaluated (labels not yet arrived) makes the check wait for data like a
window without requests; it never passes.

Seed 000 reverts only the failed batch and leaves earlier batches on the new
version. By default we revert the whole rollout (the failed batch first, then
the rest): a failed rollout that leaves a mix of versions serving is not a
rollback. ``onFailure: pause`` does what seed 000 does and seed 002 names
"pause": the failed batch is reverted, the earlier batches keep serving the
candidate, and the rollout holds there, undecided, as a rollout paused for a
person.
New replicas start before old ones stop (surge), so capacity never drops.
"""

from __future__ import annotations

from enum import Enum

from simulator.analysis.thresholds import compare_to_baseline
from simulator.commands import (
    Command,
    Decide,
    Finish,
    Note,
    RouteByReplicas,
    ScaleTo,
    Wait,
    WaitUntilReady,
)
from simulator.observations import Observation, WindowStats
from simulator.scenario.strategy_config import RollingConfig
from simulator.strategies.base import move_traffic_back
from simulator.strategies.watch import PAUSE_SECONDS

__all__ = ["RollingStrategy", "DEFAULT_DATA_WAIT"]

DEFAULT_DATA_WAIT = 300.0
"""Seconds a health check may stay inconclusive before the rollout is reverted, before the labels' delay."""


class _State(Enum):
    START = "start"
    STARTING = "starting"
    CHECKING = "checking"
    ROLLING_BACK = "rolling_back"
    PAUSING = "pausing"
    PAUSED = "paused"
    DONE = "done"


class RollingStrategy:
    """Replace stable replicas with candidate replicas ``batchSize`` at a time."""

    kind = "rolling"

    def __init__(self, config: RollingConfig) -> None:
        self.config = config
        self.state = _State.START
        self.total = 0
        self.replaced = 0
        self.batch = 0
        self.waiting_for_data_since: float | None = None
        self.stable_baseline: WindowStats | None = None  # the stable version's last window with enough requests
        self.batch_started_with = 0  # candidate replicas before the current batch
        self.kept = 0  # candidate replicas kept when paused

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.state is _State.START:
            self.total = observation.desired(observation.stable)
            return [RouteByReplicas()] + self._next_batch(observation)
        if self.state is _State.STARTING:
            if observation.ready(observation.candidate) < observation.desired(observation.candidate):
                reason = f"batch {self.batch} not ready within {self.config.ready_timeout:g}s"
                return self._roll_back(observation, reason)
            self.replaced = observation.desired(observation.candidate)
            self.state = _State.CHECKING
            self.waiting_for_data_since = None
            self._remember_stable(observation)
            return [
                ScaleTo(version=observation.stable, replicas=self.total - self.replaced),
                Wait(seconds=self.config.delay),
            ]
        if self.state is _State.CHECKING:
            return self._health_check(observation)
        if self.state is _State.ROLLING_BACK:
            # The stable version is back at full size (or its wait timed out): move the traffic and finish.
            self.state = _State.DONE
            return move_traffic_back(observation)
        if self.state is _State.PAUSING:
            # The stable replicas of the failed batch are back: remove the batch's candidate replicas and hold.
            self.state = _State.PAUSED
            return [ScaleTo(version=observation.candidate, replicas=self.kept), Wait(seconds=PAUSE_SECONDS)]
        raise RuntimeError("rolling strategy stepped after it finished")

    def _next_batch(self, observation: Observation) -> list[Command]:
        self.batch += 1
        self.batch_started_with = self.replaced
        self.state = _State.STARTING
        target = min(self.replaced + self.config.batch_size, self.total)
        return [
            ScaleTo(version=observation.candidate, replicas=target),
            WaitUntilReady(version=observation.candidate, timeout=self.config.ready_timeout),
        ]

    def _health_check(self, observation: Observation) -> list[Command]:
        config = self.config
        metrics = observation.metrics
        candidate, stable = observation.candidate, observation.stable
        label = f"batch {self.batch} ({self.replaced}/{self.total} replaced)"
        if observation.ready(candidate) < observation.desired(candidate):
            return self._roll_back(
                observation,
                f"{label}: {observation.ready(candidate)}/{observation.desired(candidate)} candidate replicas ready",
            )
        window_seconds = self._window_seconds(observation)
        window = metrics.window(candidate, window_seconds)
        stale = window.staleness > 2 * metrics.scrape_interval
        if window.requests < config.minimum_requests or stale:
            return self._wait_for_data(observation, label, f"{window.requests} requests", window.requests)
        problems: list[str] = []
        error_rate = window.error_rate or 0.0
        latency = window.latency(config.latency_metric)
        detail = [f"error rate {error_rate:.4f} (<= {config.error_rate_threshold:g})"]
        if error_rate > config.error_rate_threshold:
            problems.append(f"error rate {error_rate:.4f} > {config.error_rate_threshold:g}")
        if latency is not None:
            detail.append(f"latency {config.latency_metric} {latency * 1e3:.1f}ms")
            if latency > config.response_time_threshold:
                problems.append(
                    f"latency {config.latency_metric} {latency:.3f}s > {config.response_time_threshold:g}s"
                )
        if config.rollback_thresholds is not None:
            frozen = self._remember_stable(observation) is None and self.stable_baseline is not None
            baseline = self.stable_baseline if frozen else metrics.window(stable, window_seconds)
            assert baseline is not None
            relative = compare_to_baseline(
                window, baseline, config.rollback_thresholds,
                latency_metric=config.latency_metric,
                minimum_requests=config.minimum_requests,
                minimum_labels=config.minimum_labels,
                drift_score=observation.drift_score(candidate),
                frozen_baseline=frozen,
            )
            against = f" (against {stable}'s last window before its replicas stopped)" if frozen else ""
            if relative.verdict == "fail":
                problems.append(relative.summary() + against)
            elif relative.verdict == "inconclusive" and not problems:
                return self._wait_for_data(observation, label, relative.summary() + against, window.requests)
            else:
                detail.append(relative.summary() + against)
        if problems:
            return self._roll_back(observation, f"{label}: health check failed: {'; '.join(problems)}")
        note = Note(kind="check", detail=f"{label} healthy: {'; '.join(detail)}",
                    data={"batch": self.batch, "replaced": self.replaced, "verdict": "pass",
                          "error_rate": error_rate, "latency_s": latency})
        if self.replaced >= self.total:
            self.state = _State.DONE
            return [
                note,
                ScaleTo(version=stable, replicas=0),
                Decide(outcome="promoted", reason=f"all {self.batch} batches healthy"),
                Finish(),
            ]
        return [note] + self._next_batch(observation)

    def _window_seconds(self, observation: Observation) -> float:
        return max(self.config.delay, 2 * observation.metrics.scrape_interval)

    def _remember_stable(self, observation: Observation) -> WindowStats | None:
        """The stable version's current window if it has enough requests (and remember it), else ``None``."""
        current = observation.metrics.window(observation.stable, self._window_seconds(observation))
        if current.requests < self.config.minimum_requests:
            return None
        self.stable_baseline = current
        return current

    def _wait_for_data(self, observation: Observation, label: str, why: str, requests: int) -> list[Command]:
        """An inconclusive health check: look again every ``recheckInterval``; roll back after ``maxDataWait``."""
        config = self.config
        if self.waiting_for_data_since is None:
            self.waiting_for_data_since = observation.now
        waited = observation.now - self.waiting_for_data_since
        limit = config.max_data_wait
        if limit is None:  # long enough for the labels of the batch's own predictions
            limit = DEFAULT_DATA_WAIT + observation.metrics.label_delay
        if waited >= limit:
            return self._roll_back(observation, f"{label}: inconclusive after {waited:g}s ({why})")
        return [
            Note(kind="check", detail=f"{label}: inconclusive, waiting for data ({why})",
                 data={"batch": self.batch, "replaced": self.replaced, "verdict": "inconclusive",
                       "requests": requests, "waited_s": waited}),
            Wait(seconds=config.recheck_interval),
        ]

    def _roll_back(self, observation: Observation, reason: str) -> list[Command]:
        if self.config.on_failure == "pause":
            return self._pause(observation, reason)
        self.state = _State.ROLLING_BACK
        return [
            ScaleTo(version=observation.stable, replicas=self.total),
            Decide(outcome="rolled_back", reason=reason),
            WaitUntilReady(version=observation.stable, timeout=self.config.ready_timeout),
        ]

    def _pause(self, observation: Observation, reason: str) -> list[Command]:
        """Revert the failed batch only and hold: the earlier batches keep serving the candidate."""
        self.state = _State.PAUSING
        self.kept = self.batch_started_with
        return [
            Note(kind="paused", detail=f"paused with {self.kept}/{self.total} replicas on {observation.candidate} "
                                       f"(onFailure: pause): {reason}",
                 data={"batch": self.batch, "kept": self.kept, "total": self.total}),
            ScaleTo(version=observation.stable, replicas=self.total - self.kept),
            WaitUntilReady(version=observation.stable, timeout=self.config.ready_timeout),
        ]
