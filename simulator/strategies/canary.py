"""Canary rollout, as seed guide 002 runs it.

Rules of the state machine (one place, read top to bottom)::

    START       deploy candidate replicas for the first weight  -> SCALING
    SCALING     replicas ready: set the weight, wait            -> MONITORING
                not ready within readyTimeout: roll back         -> done
    MONITORING  judge candidate against stable over the window:
                  fail                   -> roll back            -> done
                  no data                -> wait recheckInterval (MONITORING),
                                            roll back after maxDataWait
                  pass, next weight < 100 or explicit steps left -> SCALING
                  pass, next weight = 100 (seed 002 loop)        -> promote, done

Seed guide 002 checks *before* each increase and promotes as soon as the
weight reaches 100 % (its ``while (currentPercentage < 100)`` loop). With an
explicit ``steps`` list (seed 000's ``10, 25, 50, 75, 100``) every step is
checked, the last one at 100 % too, before promotion.

With ``judge: mann_whitney`` the check is the statistical judge of
:mod:`simulator.analysis.judge` instead: a score below ``marginalScore``
rolls back, at or above ``passScore`` proceeds, and in between the canary
holds its weight for another ``monitoringDuration`` (at most ``maxHolds``
times in a row, then rolls back) — seed 003's 70 % / 90 % rule.

Candidate replicas follow the weight (``ceil(weight x stable replicas)``,
as Argo Rollouts scales a canary with traffic routing), and a weight is set
only once the replicas for it are ready. The stable version keeps all its
replicas until promotion, so rollback is instant.
"""

from __future__ import annotations

import math
from enum import Enum

from simulator.analysis.judge import mann_whitney_judge
from simulator.analysis.thresholds import compare_to_baseline
from simulator.commands import Command, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.observations import Observation
from simulator.scenario.strategy_config import CanaryConfig
from simulator.strategies.base import promote, roll_back

__all__ = ["CanaryStrategy"]


class _State(Enum):
    START = "start"
    SCALING = "scaling"
    MONITORING = "monitoring"
    DONE = "done"


class CanaryStrategy:
    """Step the candidate's weight up, checking the rollback thresholds at each step."""

    kind = "canary"

    def __init__(self, config: CanaryConfig) -> None:
        self.config = config
        self.schedule = config.schedule()
        self.check_last_step = config.steps is not None
        self.state = _State.START
        self.step_index = 0
        self.stable_replicas = 0
        self.waiting_for_data_since: float | None = None
        self.holds = 0

    @property
    def weight(self) -> float:
        """Candidate weight of the current step, %."""
        return self.schedule[self.step_index]

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.state is _State.START:
            self.stable_replicas = observation.desired(observation.stable)
            return self._scale_for_weight(observation)
        if self.state is _State.SCALING:
            if observation.ready(observation.candidate) < observation.desired(observation.candidate):
                self.state = _State.DONE
                return roll_back(observation, f"candidate replicas not ready within {self.config.ready_timeout:g}s")
            return self._set_weight(observation)
        if self.state is _State.MONITORING:
            return self._check(observation)
        raise RuntimeError("canary strategy stepped after it finished")

    def _replicas_for(self, weight: float) -> int:
        if self.config.candidate_replicas == "full":
            return self.stable_replicas
        return max(1, math.ceil(weight / 100.0 * self.stable_replicas - 1e-9))

    def _scale_for_weight(self, observation: Observation) -> list[Command]:
        needed = self._replicas_for(self.weight)
        if observation.desired(observation.candidate) >= needed and observation.ready(observation.candidate) >= needed:
            return self._set_weight(observation)
        self.state = _State.SCALING
        return [
            ScaleTo(version=observation.candidate, replicas=max(needed, observation.desired(observation.candidate))),
            WaitUntilReady(version=observation.candidate, timeout=self.config.ready_timeout),
        ]

    def _set_weight(self, observation: Observation) -> list[Command]:
        weight = self.weight
        if weight >= 100.0 and not self.check_last_step:
            self.state = _State.DONE
            return promote(observation, f"all {self.step_index} checks passed; candidate at 100 %")
        self.state = _State.MONITORING
        self.waiting_for_data_since = None
        return [
            SetWeights(weights={observation.candidate: weight, observation.stable: 100.0 - weight}),
            Wait(seconds=self.config.monitoring_duration),
        ]

    def _check(self, observation: Observation) -> list[Command]:
        if self.config.judge == "mann_whitney":
            return self._judge(observation)
        config = self.config
        metrics = observation.metrics
        window = config.monitoring_duration
        result = compare_to_baseline(
            metrics.window(observation.candidate, window),
            metrics.window(observation.stable, window),
            config.rollback_thresholds,
            latency_metric=config.latency_metric,
            minimum_requests=config.minimum_requests,
            minimum_labels=config.minimum_labels,
            max_staleness=2 * metrics.scrape_interval,
            drift_score=observation.drift_score(observation.candidate),
        )
        label = f"step {self.step_index + 1} at {self.weight:g} %"
        if result.verdict == "no_data":
            return self._wait_for_data(observation, label, result.summary())
        if result.verdict == "fail":
            self.state = _State.DONE
            return roll_back(observation, f"{label}: {result.summary()}")
        return self._advance(observation, f"{label} passed: {result.summary()}", result.to_dict())

    def _judge(self, observation: Observation) -> list[Command]:
        config = self.config
        metrics = observation.metrics
        label = f"step {self.step_index + 1} at {self.weight:g} %"
        candidate = metrics.series(observation.candidate, config.monitoring_duration)
        stable = metrics.series(observation.stable, config.monitoring_duration)
        result = mann_whitney_judge(
            candidate, stable, config.rollback_thresholds, alpha=config.judge_alpha,
            pass_score=config.pass_score, marginal_score=config.marginal_score,
            minimum_labels=config.minimum_labels,
        )
        if result.verdict == "no_data" or candidate.requests.sum() < config.minimum_requests:
            return self._wait_for_data(observation, label, "too few intervals with data")
        if result.verdict == "fail":
            self.state = _State.DONE
            return roll_back(observation, f"{label}: judge {result.summary()}")
        if result.verdict == "marginal":
            self.holds += 1
            if self.holds > config.max_holds:
                self.state = _State.DONE
                return roll_back(observation, f"{label}: marginal {self.holds} times in a row: {result.summary()}")
            return [
                Note(kind="check", detail=f"{label} holds ({self.holds}/{config.max_holds}): {result.summary()}",
                     data={**self._where(), "verdict": "marginal", "holds": self.holds, "score": result.score}),
                Wait(seconds=config.monitoring_duration),
            ]
        self.holds = 0
        return self._advance(observation, f"{label} passed: judge {result.summary()}",
                             {"verdict": "pass", "score": result.score})

    def _wait_for_data(self, observation: Observation, label: str, why: str) -> list[Command]:
        config = self.config
        if self.waiting_for_data_since is None:
            self.waiting_for_data_since = observation.now
        waited = observation.now - self.waiting_for_data_since
        limit = config.max_data_wait if config.max_data_wait is not None else config.monitoring_duration
        if waited >= limit:
            self.state = _State.DONE
            return roll_back(observation, f"{label}: no metrics for {waited:g}s ({why})")
        return [
            Note(kind="check", detail=f"{label}: waiting for data ({why})",
                 data={**self._where(), "verdict": "no_data", "waited_s": waited}),
            Wait(seconds=config.recheck_interval),
        ]

    def _where(self) -> dict[str, object]:
        """The step being checked (1-based) and its candidate weight, % (event data)."""
        return {"step": self.step_index + 1, "weight": self.weight}

    def _advance(self, observation: Observation, note: str, figures: dict[str, object]) -> list[Command]:
        commands: list[Command] = [Note(kind="check", detail=note, data={**self._where(), **figures})]
        self.step_index += 1
        if self.step_index >= len(self.schedule):
            self.state = _State.DONE
            return commands + promote(observation, f"all {self.step_index} steps passed their checks")
        return commands + self._scale_for_weight(observation)
