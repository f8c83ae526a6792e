"""Blue-green rollout, as seed guide 002 runs it, with seed 003's validator and gradual shift.

Rules of the state machine::

    START      deploy green at blue's size                     -> DEPLOYING
    DEPLOYING  green ready                                     -> BASELINE
               not ready within readyTimeout: remove green     -> done (rolled back)
    BASELINE   blue's metrics have data: smoke test (smokeTestSamples > 0) -> SMOKE
                                         or, without one, VALIDATE
               no data yet: wait recheckInterval (give up after maxDataWait)
    SMOKE      smoke test fails the thresholds: remove green   -> done (rolled back)
               passes                                          -> VALIDATE
               inconclusive (blue's labels not yet arrived): look again every
               recheckInterval; after maxDataWait do what onInconclusive says
    VALIDATE   (not a state) validation set: send responseTests synthetic requests -> VALIDATING
               no validation                                   -> MOVE
    VALIDATING seed 003's validator: health check, pass rate >= minPassRate, average
               response time <= maxAverageResponseTime, compatibility >= minCompatibility
                 any check fails: remove green, the reason names each failed check -> done
                 all pass                                      -> MOVE
    MOVE       (not a state) no shiftSteps: note blue's metrics as the baseline,
                 switch 100 % to green, wait monitoringDuration          -> WATCHING
               shiftSteps: green's weight to the first step, wait shiftInterval -> SHIFTING
    SHIFTING   after shiftInterval: check the step's window (the in-step rules of
               rollbackThresholds: errorRateIncrease, maxErrorRate, maxResponseTime)
                 fail: switch all traffic back to blue, remove green        -> done
                 inconclusive: look again every recheckInterval over the growing
                   step window; after maxDataWait do what onInconclusive says
                 pass, steps left: the next weight, wait shiftInterval      -> SHIFTING
                   (before the step to 100 %: note blue's metrics as the baseline)
                 pass at 100 %: wait monitoringDuration                     -> WATCHING
    WATCHING   every analysisInterval: green's last analysisWindow against blue's baseline;
                 more than failureLimit failed checks: switch back, remove green -> done
               after monitoringDuration: the whole watch against the baseline
                 fail: switch back, remove green               -> done
                 inconclusive: look again; after maxDataWait do what onInconclusive says
                 pass: promoted, keep blue keepBlueDuration    -> KEEPING
    KEEPING    remove blue                                     -> done

After the switch blue serves nothing, so green is judged against blue's
metrics over the ``monitoringDuration`` window just before the switch (with
``shiftSteps``: just before the step to 100 %). During the shift blue still
serves, and each step is judged against blue over the same window.
The smoke test judges the samples by the same thresholds (with the
configured latency statistic), against blue's recent metrics. The checks
follow :mod:`simulator.strategies.watch`.
"""

from __future__ import annotations

from enum import Enum

from simulator.analysis.deployment_validation import validate_deployment
from simulator.analysis.thresholds import CheckResult, compare_to_baseline
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
from simulator.strategies.base import roll_back
from simulator.strategies.watch import PAUSE_SECONDS, Baseline, StepWatch, evaluate

__all__ = ["BlueGreenStrategy", "smoke_window"]


class _State(Enum):
    START = "start"
    DEPLOYING = "deploying"
    BASELINE = "baseline"
    SMOKE = "smoke"
    VALIDATING = "validating"
    SHIFTING = "shifting"
    WATCHING = "watching"
    KEEPING = "keeping"
    DONE = "done"


def smoke_window(result: SmokeTestResult, now: float) -> WindowStats:
    """A smoke test's samples as a metrics window, to judge them by the same rules."""
    return WindowStats(
        version=result.version, start=now, end=now, staleness=0.0, requests=result.samples,
        failed=result.failed, latency_mean=result.latency_mean, latency_std=None, latency_p50=result.latency_p50,
        latency_p90=result.latency_p90, latency_p95=result.latency_p95, latency_p99=result.latency_p99,
        labelled=result.labelled, correct=result.correct,
    )


class BlueGreenStrategy:
    """Deploy green beside blue, test it, switch all traffic (at once or in steps), watch, retire blue."""

    kind = "blue_green"

    def __init__(self, config: BlueGreenConfig) -> None:
        self.config = config
        self.state = _State.START
        self.baseline = Baseline()
        self.watch = StepWatch(config)
        self.smoke: SmokeTestResult | None = None
        self.shift_steps = list(config.shift_steps or [])
        self.shift_index = 0

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
        if self.state is _State.BASELINE:
            # Blue's window becomes the baseline green is judged against after the switch: it must be able to
            # judge every rule that needs it (requests, and labels for the accuracy rule).
            baseline = observation.metrics.window(blue, config.monitoring_duration)
            if baseline.requests < config.minimum_requests:
                return self._inconclusive(observation, f"blue's baseline has {baseline.requests} requests", {})
            if config.rollback_thresholds.accuracy_drop is not None and baseline.labelled < config.minimum_labels:
                return self._inconclusive(
                    observation, f"blue's baseline has {baseline.labelled} labels < {config.minimum_labels}", {})
            self.watch.passed()
            return self._after_baseline(observation)
        if self.state is _State.SMOKE:
            return self._judge_smoke_test(observation)
        if self.state is _State.VALIDATING:
            return self._judge_validation(observation)
        if self.state is _State.SHIFTING:
            return self._check_shift_step(observation)
        if self.state is _State.WATCHING:
            return self._watch(observation)
        if self.state is _State.KEEPING:
            self.state = _State.DONE
            return [ScaleTo(version=blue, replicas=0), Finish()]
        raise RuntimeError("blue-green strategy stepped after it finished")

    def _after_baseline(self, observation: Observation) -> list[Command]:
        """The smoke test if there is one, else what follows it."""
        if self.config.smoke_test_samples > 0:
            self.state = _State.SMOKE
            return [RunSmokeTest(version=observation.candidate, samples=self.config.smoke_test_samples)]
        return self._after_smoke_test(observation)

    def _after_smoke_test(self, observation: Observation) -> list[Command]:
        """The validation's response tests if validation is set, else the first traffic."""
        validation = self.config.validation
        if validation is not None:
            self.state = _State.VALIDATING
            return [RunSmokeTest(version=observation.candidate, samples=validation.response_tests)]
        return self._move_traffic(observation)

    def _move_traffic(self, observation: Observation) -> list[Command]:
        """The first user traffic to green: one atomic switch, or the first step of the gradual shift."""
        if self.shift_steps:
            return self._shift(observation)
        return self._switch(observation)

    def _judge_smoke_test(self, observation: Observation) -> list[Command]:
        config = self.config
        if observation.smoke_test is not None:
            self.smoke = observation.smoke_test
        assert self.smoke is not None
        result = compare_to_baseline(
            smoke_window(self.smoke, observation.now),
            observation.metrics.window(observation.stable, config.monitoring_duration),
            # Synthetic samples carry no production inputs: green's drift is judged in the watch after the switch.
            config.rollback_thresholds.model_copy(update={"drift_score": None}),
            latency_metric=config.latency_metric,
            minimum_requests=1,
            # The samples are labelled at once; half of them answered is enough to judge accuracy on.
            minimum_labels=min(config.minimum_labels, max(1, config.smoke_test_samples // 2)),
        )
        if result.verdict == "fail":
            return self._abandon(observation, f"smoke test failed: {result.summary()}")
        if result.verdict == "inconclusive":
            return self._inconclusive(observation, f"smoke test: {result.summary()}", result.to_dict())
        self.watch.passed()
        note = Note(kind="smoke_test", detail=f"{config.smoke_test_samples} samples passed: {result.summary()}",
                    data={"phase": "smoke_test", "samples": config.smoke_test_samples, **result.to_dict()})
        return [note] + self._after_smoke_test(observation)

    def _judge_validation(self, observation: Observation) -> list[Command]:
        """Seed 003's validator on the response tests: every check must pass before any user traffic."""
        settings = self.config.validation
        tests = observation.smoke_test
        assert settings is not None and tests is not None, "validation stepped without its response tests"
        green = observation.candidate
        result = validate_deployment(tests, settings, ready=observation.ready(green),
                                     desired=observation.desired(green))
        data = {"phase": "validation", "response_tests": settings.response_tests, **result.to_dict()}
        if not result.passed:
            note = Note(kind="check", detail=f"pre-switch validation failed: {result.failures()}", data=data)
            return [note] + self._abandon(observation, f"pre-switch validation failed: {result.failures()}")
        warnings = f" (warning: {'; '.join(result.warnings)})" if result.warnings else ""
        note = Note(kind="check", detail=f"pre-switch validation passed: {result.check.summary()}{warnings}",
                    data=data)
        return [note] + self._move_traffic(observation)

    def _abandon(self, observation: Observation, reason: str) -> list[Command]:
        self.state = _State.DONE
        return [
            ScaleTo(version=observation.candidate, replicas=0),
            Decide(outcome="rolled_back", reason=reason),
            Finish(),
        ]

    def _switch_back(self, observation: Observation, reason: str) -> list[Command]:
        self.state = _State.DONE
        return roll_back(observation, reason)

    def _inconclusive(self, observation: Observation, why: str, figures: dict[str, object]) -> list[Command]:
        """Look again every ``recheckInterval``; after ``maxDataWait`` do what ``onInconclusive`` says."""
        config = self.config
        action, waited = self.watch.on_inconclusive(observation.now, observation.metrics.label_delay)
        data = {"phase": self.state.value, **figures, "verdict": "inconclusive", "waited_s": waited,
                "action": action}
        if action == "keep_waiting":
            return [Note(kind="check", detail=f"{self.state.value}: inconclusive, waiting for data ({why})",
                         data=data),
                    Wait(seconds=config.recheck_interval)]
        if action == "pause":
            return [Note(kind="paused", detail=f"{self.state.value} inconclusive after {waited:g}s ({why}); paused "
                                              "as onInconclusive: pause", data=data),
                    Wait(seconds=PAUSE_SECONDS)]
        if action == "promote":
            self.watch.passed()
            note = Note(kind="check", detail=f"{self.state.value} inconclusive after {waited:g}s ({why}); "
                                             "proceeding as onInconclusive: promote", data=data)
            if self.state is _State.WATCHING:
                return [note] + self._promote(f"green kept after an inconclusive watch ({why})")
            if self.state is _State.BASELINE:
                return [note] + self._after_baseline(observation)  # the smoke test still runs
            if self.state is _State.SHIFTING:
                return [note] + self._next_shift_step(observation)
            return [note] + self._after_smoke_test(observation)
        reason = f"inconclusive after {waited:g}s ({why})"
        if self.state is _State.WATCHING:
            return self._switch_back(observation, f"post-switch validation {reason}")
        if self.state is _State.SHIFTING:
            return self._switch_back(observation, f"{self._shift_label()} {reason}")
        return self._abandon(observation, reason)

    def _switch(self, observation: Observation) -> list[Command]:
        self.baseline.freeze(observation, self.config.monitoring_duration)
        self.state = _State.WATCHING
        return [
            SetWeights(weights={observation.candidate: 100.0, observation.stable: 0.0}),
            Wait(seconds=self.watch.begin(observation.now)),
        ]

    def _shift(self, observation: Observation) -> list[Command]:
        """Green's weight to the current shift step, held ``shiftInterval``."""
        weight = self.shift_steps[self.shift_index]
        if weight >= 100.0:
            # Blue is about to serve nothing: the step and the watch are judged against its window before.
            self.baseline.freeze(observation, self.config.monitoring_duration)
        self.state = _State.SHIFTING
        wait = self.config.shift_step_seconds
        self.watch.begin(observation.now, wait)
        return [
            SetWeights(weights={observation.candidate: weight, observation.stable: 100.0 - weight}),
            Wait(seconds=wait),
        ]

    def _shift_label(self) -> str:
        weight = self.shift_steps[self.shift_index]
        return f"shift step {self.shift_index + 1}/{len(self.shift_steps)} ({weight:g}% to green)"

    def _check_shift_step(self, observation: Observation) -> list[Command]:
        """The step's window (growing while the check waits for data) by the in-step rules."""
        config = self.config
        elapsed = observation.now - self.watch.started_at
        result = evaluate(observation, config, elapsed, self.baseline, in_step=True)
        label = self._shift_label()
        if self.baseline.frozen is not None:
            label += f" ({self.baseline.describe()})"
        if result.verdict == "fail":
            return self._switch_back(observation, f"{label} failed after {elapsed:g}s: {result.summary()}")
        figures = {"step": self.shift_index + 1, "weight": self.shift_steps[self.shift_index], "elapsed_s": elapsed,
                   **result.to_dict()}
        if result.verdict == "inconclusive":
            return self._inconclusive(observation, f"{label}: {result.summary()}", figures)
        self.watch.passed()
        note = Note(kind="check", detail=f"{label} passed after {elapsed:g}s: {result.summary()}",
                    data={"phase": "shifting", **figures})
        return [note] + self._next_shift_step(observation)

    def _next_shift_step(self, observation: Observation) -> list[Command]:
        """The next shift step, or, after the step to 100 %, the watch."""
        self.shift_index += 1
        if self.shift_index < len(self.shift_steps):
            return self._shift(observation)
        self.state = _State.WATCHING
        return [Wait(seconds=self.watch.begin(observation.now))]

    def _promote(self, reason: str) -> list[Command]:
        self.state = _State.KEEPING
        return [Decide(outcome="promoted", reason=reason), Wait(seconds=self.config.keep_blue_duration)]

    def _watch(self, observation: Observation) -> list[Command]:
        """The watch after the switch: a short-window check at every look; the whole watch at its end."""
        config = self.config
        short = evaluate(observation, config, config.analysis_window, self.baseline, in_step=True)
        elapsed = observation.now - self.watch.started_at
        if self.watch.count(short):
            return self._switch_back(
                observation, f"post-switch check {elapsed:g}s after the switch failed "
                             f"({self.watch.failures} failed, failureLimit {config.failure_limit}): "
                             f"{short.summary()}")
        if self.watch.in_step(observation.now):
            note = Note(kind="check", detail=f"watching, {elapsed:g}s in: {short.verdict}: {short.summary()}",
                        data={"phase": "watching", "in_step": True, "elapsed_s": elapsed,
                              "failures": self.watch.failures, **short.to_dict()})
            return [note, Wait(seconds=self.watch.next_look(observation.now))]
        result: CheckResult = evaluate(observation, config, config.monitoring_duration, self.baseline)
        if result.verdict == "fail":
            return self._switch_back(observation, f"post-switch validation failed: {result.summary()}")
        if result.verdict == "inconclusive":
            return self._inconclusive(observation, result.summary(), result.to_dict())
        return [
            Note(kind="check", detail=f"green passed: {result.summary()}",
                 data={"phase": "watching", **result.to_dict()}),
            *self._promote(f"green validated after the switch: {result.summary()}"),
        ]
