"""The strategy interface: a sans-I/O controller.

A strategy never imports simpy, never sleeps, never reads a clock and never
draws random numbers. The driver calls :meth:`Strategy.step` with an
:class:`~simulator.observations.Observation` and carries out the returned
commands (:mod:`simulator.commands`); the last command says where the
strategy yields. The same object could drive a real platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from simulator.commands import Command, Decide, Finish, ScaleTo, SetWeights
from simulator.observations import Observation

__all__ = ["Strategy", "state_of", "promote", "roll_back", "move_traffic_back"]


class Strategy(Protocol):
    """A rollout controller."""

    kind: str

    def step(self, observation: Observation) -> list[Command]:
        """The next commands, given what is observed now."""
        ...


def state_of(strategy: object) -> str:
    """A strategy's state as text (its ``state`` enum's value), or ``unknown``; for error messages."""
    state = getattr(strategy, "state", None)
    return str(getattr(state, "value", state)) if state is not None else "unknown"


def promote(observation: Observation, reason: str, analysis: Mapping[str, object] | None = None) -> list[Command]:
    """All traffic to the candidate, the stable version removed: promoted."""
    return [
        SetWeights(weights={observation.candidate: 100.0, observation.stable: 0.0}),
        ScaleTo(version=observation.stable, replicas=0),
        Decide(outcome="promoted", reason=reason, analysis=analysis),
        Finish(),
    ]


def roll_back(observation: Observation, reason: str, analysis: Mapping[str, object] | None = None) -> list[Command]:
    """All traffic to the stable version, the candidate removed: rolled back (0 % on the candidate)."""
    return [
        SetWeights(weights={observation.stable: 100.0, observation.candidate: 0.0}),
        ScaleTo(version=observation.candidate, replicas=0),
        Decide(outcome="rolled_back", reason=reason, analysis=analysis),
        Finish(),
    ]


def move_traffic_back(observation: Observation) -> list[Command]:
    """The last step of a rollback that first scaled the stable version back up: all traffic to it, done."""
    return [
        SetWeights(weights={observation.stable: 100.0, observation.candidate: 0.0}),
        ScaleTo(version=observation.candidate, replicas=0),
        Finish(),
    ]
