"""Blue-green rollout, as seed guide 002 runs it.

Rules of the state machine::

    START      deploy green at blue's size                     -> DEPLOYING
    DEPLOYING  green ready                                     -> BASELINE
               not ready within readyTimeout: remove green     -> done (rolled back)
    BASELINE   blue's metrics have data: smoke test (smokeTestSamples > 0) -> SMOKE
                                         or, without one, switch           -> WATCHING
               no data yet: wait recheckInterval (give up after maxDataWait)
    SMOKE      smoke test fails the thresholds: remove green   -> done (rolled back)
               passes: note blue's metrics as the baseline,
               switch 100 % to green, wait monitoringDuration  -> WATCHING
    WATCHING   green fails against blue's baseline: switch back, remove green -> done
               no data: wait recheckInterval, fail after maxDataWait
               passes: promoted, keep blue keepBlueDuration    -> KEEPING
    KEEPING    remove blue                                     -> done

After the switch blue serves nothing, so green is judged against blue's
metrics over the ``monitoringDuration`` window just before the switch.
The smoke test judges the samples by the same thresholds, against blue's
recent metrics.
"""

from __future__ import annotations

from enum import Enum

from simulator.analysis.thresholds import compare_to_baseline
from simulator.commands import (
    Command,
    Decide,
    Finish,
    Note,
    RunSmokeTest,
    ScaleTo,
    SetWeights,
    Wait,
    WaitUntilReady,
)
from simulator.observations import Observation, SmokeTestResult, WindowStats
from simulator.scenario.strategy_config import BlueGreenConfig

__all__ = ["BlueGreenStrategy", "smoke_window"]


class _State(Enum):
    START = "start"
    DEPLOYING = "deploying"
    BASELINE = "baseline"
    SMOKE = "smoke"
    WATCHING = "watching"
    KEEPING = "keeping"
    DONE = "done"


def smoke_window(result: SmokeTestResult, now: float) -> WindowStats:
    """A smoke test's samples as a metrics window, to judge them by the same rules."""
    return WindowStats(
        version=result.version, start=now, end=now, staleness=0.0, requests=result.samples,
        failed=result.failed, latency_mean=result.latency_mean, latency_std=None, latency_p50=None, latency_p90=None,
        latency_p95=None, latency_p99=result.latency_p99, labelled=result.labelled, correct=result.correct,
    )


class BlueGreenStrategy:
    """Deploy green beside blue, test it, switch all traffic, watch, retire blue."""

    kind = "blue_green"

    def __init__(self, config: BlueGreenConfig) -> None:
        self.config = config
        self.state = _State.START
        self.baseline: WindowStats | None = None
        self.waiting_for_data_since: float | None = None

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        blue, green = observation.stable, observation.candidate
        config = self.config
        if self.state is _State.START:
            self.state = _State.DEPLOYING
            return [
                ScaleTo(version=green, replicas=observation.desired(blue)),
                WaitUntilReady(version=green, timeout=config.ready_timeout),
            ]
        if self.state is _State.DEPLOYING:
            if observation.ready(green) < observation.desired(green):
                return self._abandon(observation, f"green not ready within {config.ready_timeout:g}s")
            self.state = _State.BASELINE
            self.waiting_for_data_since = None
        if self.state is _State.BASELINE:
            baseline = observation.metrics.window(blue, config.monitoring_duration)
            if baseline.requests < config.minimum_requests:
                return self._wait_for_data(observation, f"blue's baseline has {baseline.requests} requests")
            self.waiting_for_data_since = None
            if config.smoke_test_samples > 0:
                self.state = _State.SMOKE
                return [RunSmokeTest(version=green, samples=config.smoke_test_samples)]
            return self._switch(observation)
        if self.state is _State.SMOKE:
            assert observation.smoke_test is not None
            result = compare_to_baseline(
                smoke_window(observation.smoke_test, observation.now),
                observation.metrics.window(blue, config.monitoring_duration),
                config.rollback_thresholds,
                latency_metric="p99" if config.latency_metric != "mean" else "mean",
                minimum_requests=1,
                minimum_labels=min(config.minimum_labels, config.smoke_test_samples),
            )
            if result.verdict == "fail":
                return self._abandon(observation, f"smoke test failed: {result.summary()}")
            note = Note(kind="smoke_test", detail=f"{config.smoke_test_samples} samples passed: {result.summary()}",
                        data={"phase": "smoke_test", "samples": config.smoke_test_samples, **result.to_dict()})
            return [note] + self._switch(observation)
        if self.state is _State.WATCHING:
            return self._watch(observation)
        if self.state is _State.KEEPING:
            self.state = _State.DONE
            return [ScaleTo(version=blue, replicas=0), Finish()]
        raise RuntimeError("blue-green strategy stepped after it finished")

    def _abandon(self, observation: Observation, reason: str) -> list[Command]:
        self.state = _State.DONE
        return [
            ScaleTo(version=observation.candidate, replicas=0),
            Decide(outcome="rolled_back", reason=reason),
            Finish(),
        ]

    def _wait_for_data(self, observation: Observation, why: str) -> list[Command]:
        """Wait ``recheckInterval`` for metrics; after ``maxDataWait`` give up (roll back)."""
        config = self.config
        if self.waiting_for_data_since is None:
            self.waiting_for_data_since = observation.now
        waited = observation.now - self.waiting_for_data_since
        limit = config.max_data_wait if config.max_data_wait is not None else config.monitoring_duration
        if waited < limit:
            return [Note(kind="check", detail=f"waiting for data ({why})",
                         data={"phase": self.state.value, "verdict": "no_data", "waited_s": waited}),
                    Wait(seconds=config.recheck_interval)]
        reason = f"no metrics after {waited:g}s ({why})"
        if self.state is _State.WATCHING:
            self.state = _State.DONE
            return [
                SetWeights(weights={observation.stable: 100.0, observation.candidate: 0.0}),
                ScaleTo(version=observation.candidate, replicas=0),
                Decide(outcome="rolled_back", reason=reason),
                Finish(),
            ]
        return self._abandon(observation, reason)

    def _switch(self, observation: Observation) -> list[Command]:
        self.baseline = observation.metrics.window(observation.stable, self.config.monitoring_duration)
        self.state = _State.WATCHING
        return [
            SetWeights(weights={observation.candidate: 100.0, observation.stable: 0.0}),
            Wait(seconds=self.config.monitoring_duration),
        ]

    def _watch(self, observation: Observation) -> list[Command]:
        config = self.config
        blue, green = observation.stable, observation.candidate
        assert self.baseline is not None
        result = compare_to_baseline(
            observation.metrics.window(green, config.monitoring_duration),
            self.baseline,
            config.rollback_thresholds,
            latency_metric=config.latency_metric,
            minimum_requests=config.minimum_requests,
            minimum_labels=config.minimum_labels,
            max_staleness=2 * observation.metrics.scrape_interval,
            drift_score=observation.drift_score(green),
        )
        if result.verdict == "no_data":
            return self._wait_for_data(observation, result.summary())
        if result.verdict == "fail":
            self.state = _State.DONE
            return [
                SetWeights(weights={blue: 100.0, green: 0.0}),
                ScaleTo(version=green, replicas=0),
                Decide(outcome="rolled_back", reason=f"post-switch validation failed: {result.summary()}"),
                Finish(),
            ]
        self.state = _State.KEEPING
        return [
            Note(kind="check", detail=f"green passed: {result.summary()}",
                 data={"phase": "watching", **result.to_dict()}),
            Decide(outcome="promoted", reason=f"green validated after the switch: {result.summary()}"),
            Wait(seconds=config.keep_blue_duration),
        ]
