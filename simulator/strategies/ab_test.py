"""A/B test, as seed guide 002 describes it, with statistics that hold up.

Rules of the state machine::

    START      deploy candidate replicas for its share of users      -> DEPLOYING
    DEPLOYING  ready: split users (sticky), note the start             -> RUNNING
               not ready within readyTimeout: remove the candidate     -> done (rolled back)
    RUNNING    every checkInterval, look at the samples per arm:
                 a planned look is due (both arms reached its size):
                   test significant, candidate better  -> promote       -> PROMOTING
                   test significant, stable better     -> roll back     -> done
                   last planned look, not significant  -> keep stable   -> done
                 duration cap reached first            -> keep stable   -> done
    PROMOTING  candidate at full size: all traffic to it, stable retired -> done

The analysis plan: ``fixed_horizon`` looks once, at ``minimumSamples`` per
arm. ``peeking`` applies the same fixed-horizon test at ``looks`` equally
spaced sample sizes and stops at the first significant one — the seed's
"declare winner after significance reached", which inflates false positives
(about 19 % at alpha 0.05 with 10 looks); it is offered to show that.
``sequential`` uses the mSPRT's always-valid p-value at the same looks.

Before declaring a winner, the users seen per arm are checked against the
split (sample ratio mismatch, chi-square at p < 0.001); a mismatch voids the
test and keeps the stable version.
"""

from __future__ import annotations

import math
from enum import Enum

from simulator.analysis.ab_stats import (
    ArmSummary,
    TestOutcome,
    msprt_p_value,
    proportion_test,
    sample_ratio_p_value,
    welch_test,
)
from simulator.commands import Command, Decide, Finish, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.observations import Observation, WindowStats
from simulator.scenario.strategy_config import ABTestConfig
from simulator.strategies.base import roll_back

__all__ = ["ABTestStrategy", "arm_summary", "SRM_ALPHA"]

SRM_ALPHA = 0.001
"""Significance level of the sample-ratio-mismatch check."""


class _State(Enum):
    START = "start"
    DEPLOYING = "deploying"
    RUNNING = "running"
    PROMOTING = "promoting"
    DONE = "done"


def arm_summary(window: WindowStats, metric: str) -> ArmSummary:
    """The samples of one arm for ``metric``: labelled predictions for accuracy, else requests."""
    if metric == "accuracy":
        n = window.labelled
        p = window.correct / n if n else 0.0
        return ArmSummary(n=n, mean=p, variance=p * (1 - p))
    if metric == "error_rate":
        n = window.requests
        p = window.failed / n if n else 0.0
        return ArmSummary(n=n, mean=p, variance=p * (1 - p))
    std = window.latency_std or 0.0
    return ArmSummary(n=window.latency_samples, mean=window.latency_mean or 0.0, variance=std * std)


class ABTestStrategy:
    """Split users between stable and candidate, test the primary metric, keep the winner."""

    kind = "ab_test"

    def __init__(self, config: ABTestConfig) -> None:
        self.config = config
        self.state = _State.START
        self.started_at = 0.0
        self.stable_replicas = 0
        if config.test == "fixed_horizon":
            self.plan = [config.minimum_samples]
        else:
            looks = range(1, config.looks + 1)
            self.plan = sorted({math.ceil(config.minimum_samples * k / config.looks) for k in looks})
        self.look = 0
        self.sequential_p = 1.0

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        config = self.config
        stable, candidate = observation.stable, observation.candidate
        if self.state is _State.START:
            self.stable_replicas = observation.desired(stable)
            self.state = _State.DEPLOYING
            replicas = max(1, math.ceil(config.split_ratio * self.stable_replicas - 1e-9))
            return [ScaleTo(version=candidate, replicas=replicas),
                    WaitUntilReady(version=candidate, timeout=config.ready_timeout)]
        if self.state is _State.DEPLOYING:
            if observation.ready(candidate) < observation.desired(candidate):
                self.state = _State.DONE
                return roll_back(observation, f"candidate not ready within {config.ready_timeout:g}s")
            self.state = _State.RUNNING
            self.started_at = observation.now
            share = 100.0 * config.split_ratio
            return [
                SetWeights(weights={candidate: share, stable: 100.0 - share}, sticky=True),
                Note(kind="ab_test", detail=(
                    f"split {share:g} % of users to {candidate}; {config.test.replace('_', ' ')} test of "
                    f"{config.primary_metric} at alpha {config.significance_level:g}, "
                    f"{config.minimum_samples} samples per arm"
                ), data={"split": share, "test": config.test, "metric": config.primary_metric,
                         "alpha": config.significance_level, "minimum_samples": config.minimum_samples}),
                Wait(seconds=config.check_interval),
            ]
        if self.state is _State.RUNNING:
            return self._look(observation)
        if self.state is _State.PROMOTING:
            # The decision was taken at the look; now the candidate has its full size.
            self.state = _State.DONE
            return [
                SetWeights(weights={candidate: 100.0, stable: 0.0}),
                ScaleTo(version=stable, replicas=0),
                Finish(),
            ]
        raise RuntimeError("A/B test stepped after it finished")

    # -- looks -------------------------------------------------------------

    def _arms(self, observation: Observation) -> tuple[ArmSummary, ArmSummary]:
        metrics = observation.metrics
        metric = self.config.primary_metric
        return (arm_summary(metrics.window_since(observation.stable, self.started_at, quantiles=False), metric),
                arm_summary(metrics.window_since(observation.candidate, self.started_at, quantiles=False), metric))

    def _test(self, stable: ArmSummary, candidate: ArmSummary) -> TestOutcome:
        config = self.config
        metric = config.primary_metric
        if metric == "latency":
            outcome = welch_test(metric, stable, candidate, config.significance_level)
        else:
            outcome = proportion_test(metric, stable, candidate, config.significance_level)
        if config.test != "sequential":
            return outcome
        self.sequential_p = min(self.sequential_p, msprt_p_value(stable, candidate, config.sequential_tau))
        return TestOutcome(
            metric=metric, test=f"mSPRT (always valid, tau={config.sequential_tau:g})", p_value=self.sequential_p,
            effect=outcome.effect, ci_low=outcome.ci_low, ci_high=outcome.ci_high,
            relative_effect=outcome.relative_effect, n_stable=outcome.n_stable, n_candidate=outcome.n_candidate,
            alpha=outcome.alpha,
        )

    def _look(self, observation: Observation) -> list[Command]:
        config = self.config
        stable_arm, candidate_arm = self._arms(observation)
        elapsed = observation.now - self.started_at
        samples = min(stable_arm.n, candidate_arm.n)
        if samples < self.plan[self.look]:
            if elapsed >= config.duration:
                outcome = self._test(stable_arm, candidate_arm) if samples >= 2 else None
                return self._keep_stable(
                    observation,
                    f"duration cap {config.duration:g}s reached with {samples} of {self.plan[self.look]} "
                    "samples per arm",
                    outcome,
                )
            return [Wait(seconds=config.check_interval)]
        outcome = self._test(stable_arm, candidate_arm)
        self.look += 1
        note = Note(kind="ab_look", detail=f"look {self.look}/{len(self.plan)}: {outcome.summary()}",
                    data={"look": self.look, "looks": len(self.plan), **outcome.to_dict()})
        if outcome.winner is None and self.look < len(self.plan):
            return [note, Wait(seconds=config.check_interval)]
        srm = self._sample_ratio(observation)
        analysis = self._analysis(outcome, srm)
        if srm["mismatch"]:
            return [note] + self._keep_stable(
                observation, f"sample ratio mismatch (p={srm['p_value']:.2g}): test void", outcome, analysis
            )
        if outcome.winner == "candidate":
            self.state = _State.PROMOTING
            return [
                note,
                Decide(outcome="promoted", reason=f"candidate wins: {outcome.summary()}", analysis=analysis),
                ScaleTo(version=observation.candidate, replicas=self.stable_replicas),
                WaitUntilReady(version=observation.candidate, timeout=config.ready_timeout),
            ]
        if outcome.winner == "stable":
            self.state = _State.DONE
            return [note] + roll_back(observation, f"stable wins: {outcome.summary()}", analysis)
        return [note] + self._keep_stable(
            observation, f"no significant difference after {self.look} look(s): {outcome.summary()}", outcome, analysis
        )

    def _keep_stable(self, observation: Observation, reason: str, outcome: TestOutcome | None,
                     analysis: dict | None = None) -> list[Command]:
        self.state = _State.DONE
        if analysis is None:
            analysis = self._analysis(outcome, self._sample_ratio(observation))
        return roll_back(observation, reason, analysis)

    def _sample_ratio(self, observation: Observation) -> dict[str, object]:
        users_stable = observation.metrics.users_since(observation.stable, self.started_at)
        users_candidate = observation.metrics.users_since(observation.candidate, self.started_at)
        p_value = sample_ratio_p_value(users_stable, users_candidate, self.config.split_ratio)
        return {"users": {observation.stable: users_stable, observation.candidate: users_candidate},
                "expected_candidate_share": self.config.split_ratio, "p_value": p_value,
                "mismatch": p_value < SRM_ALPHA}

    def _analysis(self, outcome: TestOutcome | None, srm: dict[str, object]) -> dict[str, object]:
        return {
            "type": "ab_test",
            "plan": self.config.test,
            "looks": self.look,
            "planned_looks": len(self.plan),
            "primary_metric": self.config.primary_metric,
            "result": outcome.to_dict() if outcome else None,
            "sample_ratio": srm,
        }
