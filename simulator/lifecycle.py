"""What happens around a rollout: operator rollbacks, the drift monitor's loop, retraining.

These are simpy processes in the run's world. None of them knows how a
rollout is driven: retraining starts one through a :data:`StartRollout`
callable that the driver hands in, and an operator's rollback interrupts the
rollout process it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from simulator.drift_monitor import DriftMonitor
from simulator.result import Decision
from simulator.scenario.model import Scenario
from simulator.scenario.world_config import RollbackOperation
from simulator.world.world import World

__all__ = ["StartRollout", "CurrentRollout", "operate", "monitor_drift", "Retraining"]

StartRollout = Callable[[str, str, Decision, simpy.Event], simpy.Process]
"""``start(stable, candidate, decision, finished)``: a rollout process that fills ``decision`` and
triggers ``finished`` when it is over."""

CurrentRollout = Callable[[], tuple[simpy.Process | None, simpy.Event | None]]
"""The rollout in progress now (its process and its ``finished`` event), or ``(None, None)``."""


def operate(world: World, operation: RollbackOperation,
            current: CurrentRollout) -> Generator[simpy.Event, Any, None]:
    """Carry out an operator's rollback at its time (seed 000's ``RollbackModelAsync``).

    A rollout still in progress is interrupted first; the target starts at
    production's size, takes all traffic once ready, and every other version
    is retired.
    """
    env = world.env
    yield env.timeout(operation.at)
    registry = world.registry
    target = operation.rollback_to
    if target == "previous":
        previous = registry.previous_production()
        if previous is None:
            world.log("operation", "rollback to the previous production version skipped: there is none",
                      action="rollback", target=None, status="skipped")
            return
        target = previous
    world.log("operation", f"rollback to {target} requested (production: {registry.production})",
              action="rollback", target=target, status="requested", production=registry.production)
    rollout, finished = current()
    if rollout is not None and finished is not None and not finished.triggered:
        rollout.interrupt(f"operator rollback to {target}")
        yield env.timeout(0)
    replicas = max(world.scenario.service.replicas, world.desired[world.index(registry.production)])
    world.scale_to(target, replicas)
    yield world.wait_ready(target) | env.timeout(operation.ready_timeout)
    if world.deployment(target).ready < replicas:
        world.log("operation", f"rollback to {target} failed: replicas not ready within {operation.ready_timeout:g}s",
                  action="rollback", target=target, status="failed")
        return
    world.set_weights({target: 100.0})
    for version in world.versions:
        if version != target and world.desired[world.index(version)] > 0:
            world.scale_to(version, 0)
    world.log("registry", registry.promote(target), action="promote", version=target)
    world.log("operation", f"rolled back to {target}", action="rollback", target=target, status="done")


def monitor_drift(world: World, monitor: DriftMonitor,
                  on_drift: Callable[[float], None]) -> Generator[simpy.Event, Any, None]:
    """Check for drift every window; call ``on_drift(time)`` when it fires."""
    env = world.env
    while True:
        yield env.timeout(monitor.config.window)
        world.advance()
        report = monitor.check(env.now)
        if report is not None and report.detected:
            on_drift(env.now)


class Retraining:
    """Retrains on drift (or on schedule) and rolls each new version out through ``start_rollout``.

    The first retrained rollout fills ``decision`` and triggers ``finished``
    (the run's own); later ones get their own.
    """

    def __init__(self, world: World, scenario: Scenario, start_rollout: StartRollout, decision: Decision,
                 finished: simpy.Event) -> None:
        assert scenario.retraining is not None
        self.world = world
        self.config = scenario.retraining
        self.names = scenario.retrained_names()
        self.start_rollout = start_rollout
        self.decision, self.finished = decision, finished
        self.produced = 0
        self.busy = False
        self.current: simpy.Process | None = None
        self.current_finished: simpy.Event | None = None

    def trigger(self, why: str) -> None:
        """Start retraining now, unless one is under way or no retrain is left."""
        if self.busy or self.produced >= len(self.names):
            return
        self.busy = True
        self.world.env.process(self._retrain(why))

    def _retrain(self, why: str) -> Generator[simpy.Event, Any, None]:
        world = self.world
        version = self.names[self.produced]
        world.log("retraining", f"started ({why}); {version} ready in {self.config.duration:g}s",
                  version=version, reason=why, duration=self.config.duration)
        yield world.env.timeout(self.config.duration)
        self.produced += 1
        world.log("registry", world.registry.register(version), action="register", version=version)
        first = self.produced == 1
        decision = self.decision if first else Decision()
        finished = self.finished if first else world.env.event()
        self.current, self.current_finished = self.start_rollout(world.registry.production, version, decision,
                                                                 finished), finished
        yield self.current
        self.busy = False

    def schedule(self) -> Generator[simpy.Event, Any, None]:
        """Retrain every ``every`` seconds (a simpy process)."""
        assert self.config.every is not None
        while True:
            yield self.world.env.timeout(self.config.every)
            self.trigger("scheduled")
