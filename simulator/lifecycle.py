"""What happens around a rollout: operator rollbacks, the drift monitor's loop, retraining.

These are simpy processes in the run's world. None of them knows how a
rollout is driven: retraining starts one through a :data:`StartRollout`
callable that the driver hands in, and an operator's rollback interrupts the
rollout process it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from simulator.result import Decision
from simulator.scenario.health_check_config import HealthCheckConfig
from simulator.scenario.model import Scenario
from simulator.scenario.world_config import RollbackOperation
from simulator.world.world import World

if TYPE_CHECKING:
    from simulator.drift_monitor import DriftMonitor

__all__ = ["StartRollout", "CurrentRollout", "operate", "health_check", "monitor_drift", "Retraining"]

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
    is retired. With ``via: blue_green`` the ready target is health-checked
    first (:func:`health_check`); if the check fails, the target goes back to
    the replicas it had before the operation (none, for a fresh target) and
    production stays as it is.
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
    replicas_before = world.desired[world.index(target)]
    check = operation.target_check()
    world.scale_to(target, replicas)
    yield world.wait_ready(target) | env.timeout(operation.ready_timeout)
    if world.deployment(target).ready < replicas:
        if check is not None:  # blue-green: the green deployment is deleted
            world.scale_to(target, replicas_before)
        world.log("operation", f"rollback to {target} failed: replicas not ready within {operation.ready_timeout:g}s",
                  action="rollback", target=target, status="failed")
        return
    if check is not None:
        passed, duration = health_check(world, target, check)
        yield env.timeout(duration)
        if not passed:
            world.scale_to(target, replicas_before)
            kept = f"back to {replicas_before} replicas" if replicas_before else "removed"
            world.log("operation", f"rollback to {target} failed: health check failed; {target} {kept}, "
                      f"{registry.production} stays in production", action="rollback", target=target,
                      status="failed", via="blue_green")
            return
    world.set_weights({target: 100.0})
    for version in world.versions:
        if version != target and world.desired[world.index(version)] > 0:
            world.scale_to(version, 0)
    world.log("registry", registry.promote(target), action="promote", version=target)
    world.log("operation", f"rolled back to {target}", action="rollback", target=target, status="done")


def health_check(world: World, target: str, check: HealthCheckConfig) -> tuple[bool, float]:
    """Health-check ``target`` with ``check.samples`` synthetic requests; whether it passed, and its duration (s).

    Seed 004's ``_run_deployment_health_checks``: it fails if more than
    ``max_error_rate`` of the requests fail, or their p99 latency exceeds
    ``max_latency_p99`` (seconds) when that is given. The requests are drawn
    from their own random stream, so a rollback's check moves no other draw.
    """
    result, duration = world.smoke_test(target, check.samples, stream="rollback-health-check")
    error_rate = result.failed / result.samples
    problems = []
    if error_rate > check.max_error_rate:
        problems.append(f"{result.failed}/{result.samples} requests failed (error rate {error_rate:.4f} > "
                        f"{check.max_error_rate:g})")
    limit = check.max_latency_p99
    if limit is not None and (result.latency_p99 is None or result.latency_p99 > limit):
        shown = "none answered" if result.latency_p99 is None else f"{result.latency_p99 * 1000:.1f}ms"
        problems.append(f"latency p99 {shown} > {limit * 1000:g}ms")
    passed = not problems
    detail = "passed" if passed else "failed: " + "; ".join(problems)
    world.log("health_check", f"{check.samples} requests to {target}: {detail}", version=target,
              samples=result.samples, failed=result.failed, error_rate=error_rate, latency_p99_s=result.latency_p99,
              max_error_rate=check.max_error_rate, max_latency_p99_s=limit, passed=passed)
    return passed, duration


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
