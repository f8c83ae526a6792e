"""What a strategy yields on, carried out in the world: waits, smoke tests, test suites, and branches of them.

The driver hands a yielding command here and gets back the simpy event to
wait for (with the smoke test or test suite result it brings).
:class:`BranchWaits` keeps the branches of :class:`~simulator.commands.WaitAny`
across steps: a strategy running several regions at once gives each its own
wait, and is woken as soon as the first is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import simpy

from simulator.commands import BranchWait, RunSmokeTest, RunTestSuite, Wait, WaitUntilReady
from simulator.observations import SmokeTestResult, TestSuiteResult
from simulator.world.world import World

__all__ = ["BranchWaits", "run_smoke_test", "run_test_suite", "where", "start_wait"]

BranchResult = SmokeTestResult | TestSuiteResult | None
"""What a branch's wait brings: a smoke test's or a test suite's result, or nothing."""


def where(command: Any) -> dict[str, Any]:
    """``{"region": name}`` for a command aimed at one region, else nothing (keyword arguments of the world)."""
    region = getattr(command, "region", None)
    return {} if region is None else {"region": region}


def run_smoke_test(world: World, command: RunSmokeTest) -> tuple[SmokeTestResult, float]:
    """Run ``command``'s smoke test now and log it; its result and duration (seconds)."""
    smoke, duration = world.smoke_test(command.version, command.samples, **where(command))
    region = f" in {command.region}" if command.region else ""
    world.log(
        "smoke_test",
        f"{command.samples} samples to {command.version}{region}: {smoke.failed} failed, "
        f"{smoke.correct}/{smoke.labelled} correct",
        version=command.version, samples=command.samples, failed=smoke.failed, labelled=smoke.labelled,
        correct=smoke.correct, latency_p99_s=smoke.latency_p99, **where(command),
    )
    return smoke, duration


def run_test_suite(world: World, command: RunTestSuite) -> tuple[TestSuiteResult, float]:
    """Run ``command``'s test suite now and log it; its result and duration (seconds)."""
    suite, duration = world.test_suite(command)
    world.log(
        "test_suite",
        f"test suite on {command.version} ({command.samples} examples, {duration:g}s): "
        + ("passed" if suite.passed else f"{len(suite.failed)} of {len(suite.tests)} tests failed"),
        version=command.version, samples=command.samples, duration_s=duration, passed=suite.passed,
        tests=[{"name": t.name, "score": t.score, "threshold": t.threshold, "passed": t.passed,
                "limit": t.limit} for t in suite.tests],
    )
    return suite, duration


def start_wait(world: World, wait: BranchWait) -> tuple[simpy.Event, BranchResult]:
    """The event that ends ``wait`` (started now), and the result it brings."""
    env = world.env
    if isinstance(wait, Wait):
        return env.timeout(wait.seconds), None
    if isinstance(wait, WaitUntilReady):
        return _first_of(env, world.wait_ready(wait.version, **where(wait)), env.timeout(wait.timeout)), None
    if isinstance(wait, RunSmokeTest):
        smoke, duration = run_smoke_test(world, wait)
        return env.timeout(duration), smoke
    suite, duration = run_test_suite(world, wait)
    return env.timeout(duration), suite


def _first_of(env: simpy.Environment, *events: simpy.Event) -> simpy.Event:
    """A plain event that fires with the first of ``events``.

    Not a simpy condition (``a | b``): a condition inside another one loses
    its own checks once the outer one fires, and a branch's event outlives
    the ``any_of`` of the step it was started in.
    """
    first = env.event()

    def fire(_: simpy.Event) -> None:
        if not first.triggered:
            first.succeed()

    for event in events:
        if event.callbacks is None:  # already processed
            fire(event)
        else:
            event.callbacks.append(fire)
    return first


class BranchWaits:
    """The branches a strategy waits on, by name, each with its event and what it brings."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pending: dict[str, tuple[simpy.Event, BranchResult]] = {}

    def add(self, waits: Mapping[str, BranchWait]) -> None:
        """Start ``waits`` now; a branch already held is replaced."""
        for branch, wait in waits.items():
            self.pending[branch] = start_wait(self.world, wait)

    def first(self) -> simpy.Event:
        """An event that fires when the first held branch's wait is over."""
        return self.world.env.any_of([event for event, _ in self.pending.values()])

    def woken(self) -> dict[str, BranchResult]:
        """The branches whose wait is over, with what each brought; they are no longer held."""
        done = {branch: result for branch, (event, result) in self.pending.items() if event.processed}
        for branch in done:
            del self.pending[branch]
        return done
