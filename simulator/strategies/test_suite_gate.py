"""Seed 004's model test suite as a gate before any strategy deploys: a wrapper around the strategy.

A wrapper (Gymnasium-style): the wrapped strategy is not asked for anything
until the candidate has passed the suite. Rules of the gate::

    START      run the suite on the candidate (RunTestSuite)        -> TESTING
    TESTING    the suite's result in the observation:
                 every test passed: a note with the figures, then the
                   wrapped strategy's first commands                -> INNER
                 a test failed: decide rolled_back, naming every failed
                   test with its score and threshold; the candidate
                   never started and never took traffic              -> REJECTED
    INNER      the wrapped strategy's commands pass through unchanged

The suite runs before the candidate exists as a deployment (seed 004 tests
the model artifact, then deploys), so a rejected candidate costs the suite's
``duration`` and nothing else. What the suite measures and how is in
:mod:`simulator.world.test_suite`; the thresholds are seed 004's.
"""

from __future__ import annotations

from enum import Enum

from simulator.commands import Command, Decide, Finish, Note, RunTestSuite
from simulator.observations import Observation, TestSuiteResult
from simulator.scenario.test_suite_config import TestSuiteConfig
from simulator.strategies.base import Strategy, state_of

__all__ = ["TestSuiteGate", "suite_figures"]


class _Phase(Enum):
    START = "test_suite_start"
    TESTING = "test_suite_running"
    INNER = "inner"
    REJECTED = "test_suite_failed"


def suite_figures(result: TestSuiteResult) -> dict[str, object]:
    """The suite's figures, JSON-ready: version, samples, verdict, and each test's score and threshold."""
    return {
        "version": result.version,
        "samples": result.samples,
        "passed": result.passed,
        "tests": [
            {"name": test.name, "score": test.score, "threshold": test.threshold, "passed": test.passed,
             "limit": test.limit}
            for test in result.tests
        ],
    }


class TestSuiteGate:
    """Run seed 004's test suite on the candidate first; hand over to ``inner`` only if every test passes."""

    __test__ = False  # not a pytest test class

    def __init__(self, inner: Strategy, config: TestSuiteConfig) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.config = config
        self.phase = _Phase.START
        self.result: TestSuiteResult | None = None

    @property
    def state(self) -> str:
        """The gate's phase, then the wrapped strategy's state once it runs (for error messages)."""
        if self.phase is _Phase.INNER:
            return state_of(self.inner)
        return self.phase.value

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.phase is _Phase.INNER:
            return self.inner.step(observation)
        if self.phase is _Phase.START:
            self.phase = _Phase.TESTING
            return [self._request(observation.candidate)]
        if self.phase is _Phase.TESTING:
            return self._judge(observation)
        raise ValueError(f"the gate was asked to step after rejecting {observation.candidate}; expected no more steps")

    def _request(self, candidate: str) -> RunTestSuite:
        config = self.config
        attributes = config.protected_attributes
        return RunTestSuite(
            version=candidate, samples=config.samples, duration=config.duration,
            accuracy=config.accuracy, precision=config.precision, recall=config.recall, f1=config.f1,
            bias=config.bias, drift=config.drift,
            protected_attributes=tuple(attributes) if attributes is not None else None,
            positive_share=config.positive_share,
        )

    def _judge(self, observation: Observation) -> list[Command]:
        result = observation.test_suite
        if result is None or result.version != observation.candidate:
            got = "no result" if result is None else f"a result for {result.version}"
            raise ValueError(f"got {got} after RunTestSuite; expected the test suite's result for "
                             f"{observation.candidate} in the observation")
        self.result = result
        figures = suite_figures(result)
        if not result.passed:
            self.phase = _Phase.REJECTED
            failed = "; ".join(test.describe() for test in result.failed)
            reason = (f"test suite failed before deployment ({len(result.failed)} of {len(result.tests)} tests, "
                      f"{result.samples} examples): {failed}")
            return [Decide(outcome="rolled_back", reason=reason, analysis={"test_suite": figures}), Finish()]
        self.phase = _Phase.INNER
        shown = ", ".join(test.describe() for test in result.tests) or "no tests configured"
        note = Note(kind="check", detail=f"test suite passed on {result.samples} examples: {shown}",
                    data={"phase": "test_suite", "verdict": "pass", **figures})
        return [note, *self.inner.step(observation)]
