"""Immediate rollout: start the candidate, switch all traffic to it once it is up, no checks."""

from __future__ import annotations

from simulator.commands import Command, ScaleTo, WaitUntilReady
from simulator.observations import Observation
from simulator.scenario.strategy_config import ImmediateConfig
from simulator.strategies.base import promote

__all__ = ["ImmediateStrategy"]


class ImmediateStrategy:
    """Deploy at full size, then switch 100 % and remove the old version."""

    kind = "immediate"

    def __init__(self, config: ImmediateConfig) -> None:
        self.config = config
        self.started = False

    def step(self, observation: Observation) -> list[Command]:
        """Deploy first; on the next step switch, whatever the metrics say."""
        if not self.started:
            self.started = True
            return [
                ScaleTo(version=observation.candidate, replicas=observation.desired(observation.stable)),
                WaitUntilReady(version=observation.candidate, timeout=self.config.ready_timeout),
            ]
        return promote(observation, "immediate switch, no checks")
