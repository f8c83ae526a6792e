"""Shadow deployment, as seed guide 002 runs it.

Rules of the state machine::

    START      deploy the shadow for its share of mirrored traffic   -> DEPLOYING
    DEPLOYING  ready: mirror mirrorPercentage % of requests, wait duration -> WATCHING
               not ready within readyTimeout: remove it              -> done (rolled back)
    WATCHING   stop mirroring; judge the shadow:
                 divergence <= maxDivergence and the rollback thresholds pass
                 against production over the same window            -> scale up, PROMOTING
                 otherwise: retire the shadow                        -> done (rolled back)
    PROMOTING  all traffic to the candidate, stable retired          -> done (promoted)

Mirrored requests use the shadow's own replicas and never reach users; the
shadow's latency and errors are what its deployment's monitoring reports,
and divergence is the share of mirrored requests whose prediction differs
from production's.
"""

from __future__ import annotations

import math
from enum import Enum

from simulator.analysis.thresholds import compare_to_baseline
from simulator.commands import Command, Decide, Finish, Mirror, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.observations import Observation
from simulator.scenario.strategy_config import ShadowConfig

__all__ = ["ShadowStrategy"]


class _State(Enum):
    START = "start"
    DEPLOYING = "deploying"
    WATCHING = "watching"
    PROMOTING = "promoting"
    DONE = "done"


class ShadowStrategy:
    """Mirror traffic to the candidate, compare its answers, then promote or retire it."""

    kind = "shadow"

    def __init__(self, config: ShadowConfig) -> None:
        self.config = config
        self.state = _State.START
        self.stable_replicas = 0

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        config = self.config
        stable, candidate = observation.stable, observation.candidate
        if self.state is _State.START:
            self.stable_replicas = observation.desired(stable)
            replicas = max(1, math.ceil(config.mirror_percentage / 100 * self.stable_replicas - 1e-9))
            self.state = _State.DEPLOYING
            return [ScaleTo(version=candidate, replicas=replicas),
                    WaitUntilReady(version=candidate, timeout=config.ready_timeout)]
        if self.state is _State.DEPLOYING:
            if observation.ready(candidate) < observation.desired(candidate):
                self.state = _State.DONE
                return [ScaleTo(version=candidate, replicas=0),
                        Decide(outcome="rolled_back", reason=f"shadow not ready within {config.ready_timeout:g}s"),
                        Finish()]
            self.state = _State.WATCHING
            return [Mirror(version=candidate, percentage=config.mirror_percentage), Wait(seconds=config.duration)]
        if self.state is _State.WATCHING:
            return self._verdict(observation)
        if self.state is _State.PROMOTING:
            self.state = _State.DONE
            return [SetWeights(weights={candidate: 100.0, stable: 0.0}), ScaleTo(version=stable, replicas=0), Finish()]
        raise RuntimeError("shadow strategy stepped after it finished")

    def _verdict(self, observation: Observation) -> list[Command]:
        config = self.config
        stable, candidate = observation.stable, observation.candidate
        shadow = observation.metrics.window(candidate, config.duration)
        production = observation.metrics.window(stable, config.duration)
        check = compare_to_baseline(
            shadow, production, config.rollback_thresholds, latency_metric=config.latency_metric,
            minimum_requests=config.minimum_requests, minimum_labels=config.minimum_labels,
            drift_score=observation.drift_score(candidate),
        )
        divergence = shadow.divergence
        analysis = {
            "type": "shadow",
            "mirrored_requests": shadow.requests,
            "compared": shadow.shadow_compared,
            "disagreements": shadow.shadow_disagreements,
            "divergence": divergence,
            "max_divergence": config.max_divergence,
            "checks": check.summary(),
        }
        shown = "no comparable predictions" if divergence is None else f"divergence {divergence:.2%}"
        problems = []
        if divergence is None or divergence > config.max_divergence:
            problems.append(f"{shown} (max {config.max_divergence:.0%})")
        if check.verdict == "fail":
            problems.append(check.summary())
        elif check.verdict == "inconclusive":  # never a pass: the shadow is retired, and the reason says why
            problems.append(f"inconclusive: {check.summary()}")
        stop = Mirror(version=candidate, percentage=0.0)
        if problems:
            self.state = _State.DONE
            return [stop, ScaleTo(version=candidate, replicas=0),
                    Decide(outcome="rolled_back", reason="shadow retired: " + "; ".join(problems), analysis=analysis),
                    Finish()]
        self.state = _State.PROMOTING
        return [
            stop,
            Note(kind="check", detail=f"shadow passed: {shown}; {check.summary()}",
                 data={"divergence": divergence, "max_divergence": config.max_divergence, **check.to_dict()}),
            Decide(outcome="promoted", reason=f"shadow validated: {shown}; {check.summary()}", analysis=analysis),
            ScaleTo(version=candidate, replicas=self.stable_replicas),
            WaitUntilReady(version=candidate, timeout=config.ready_timeout),
        ]
