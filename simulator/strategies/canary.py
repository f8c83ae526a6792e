"""Canary rollout, as seed guide 002 runs it, with the checks of :mod:`simulator.strategies.watch`.

Rules of the state machine (one place, read top to bottom)::

    START       deploy candidate replicas for the first weight   -> SCALING
    SCALING     replicas ready: set the weight                   -> MONITORING
                not ready within readyTimeout: roll back          -> done
                a checked step to 100 %, the stable version's window cannot yet
                judge the candidate (too few requests, labels, or the judge's
                intervals): look again every recheckInterval; after maxDataWait
                do what onInconclusive says                        -> SCALING
    MONITORING  during the step, every analysisInterval: check the last analysisWindow
                  more than failureLimit failed checks -> roll back            -> done
                at the step's end (monitoringDuration): check the whole step
                  fail                   -> roll back                           -> done
                  inconclusive           -> look again every recheckInterval; after
                                            maxDataWait do what onInconclusive says
                  pass, rolloutDuration set and over              -> promote, done
                  pass, rolloutDuration set, at the last weight   -> hold it: MONITORING again
                  pass, next weight < 100 or explicit steps left -> SCALING
                  pass, next weight = 100 (seed 002 loop)        -> promote, done
    START, MONITORING, SCALING below 100 %: an operator's promote is due (KServe canaries only)
                the rest of the step and its checks skipped; the weight 100:
                  candidate at full size                          -> promote, done
                  else scale it up                                -> SCALING, then promote, done

With ``rolloutDuration`` (seed 003) the canary is promoted at the first
passed step-end check once that long has passed since the first step,
whatever its weight; until then it holds its last weight, checked every
``monitoringDuration``. Seed 003 completes when the duration is over
without a last evaluation; here the check still runs first, so a failing
candidate is not promoted by the clock. ``initialDuration`` (seed 000's
10 minutes at 5 %) sets the first step's length.

Seed guide 002 checks *before* each increase and promotes as soon as the
weight reaches 100 % (its ``while (currentPercentage < 100)`` loop). With an
explicit ``steps`` list (seed 000's ``10, 25, 50, 75, 100``) every step is
checked, the last one at 100 % too, before promotion: at 100 % the stable
version serves nothing, so that step is judged against the stable version's
last window before the weight reached 100 %. The weight moves to 100 % only
once that window can judge every rule, as blue-green waits for its
baseline: ``minimumRequests`` requests, ``minimumLabels`` labels with an
accuracy rule, and under the statistical judge its intervals too. A canary
whose first step is 100 % (``steps: [100]``) would otherwise freeze a window
of the stable version's first seconds, before any label has arrived, and
roll back a candidate as good as it.

With ``judge: mann_whitney`` the step-end check is the statistical judge of
:mod:`simulator.analysis.judge` instead: a score below ``marginalScore``
rolls back, at or above ``passScore`` proceeds, and in between the canary
holds its weight for another ``monitoringDuration`` (at most ``maxHolds``
times in a row, then rolls back) -- seed 003's 70 % / 90 % rule. In-step
checks use the threshold rules under either judge. A rollback for latency
says when the candidate was notably busier than its baseline over the step
(:func:`simulator.analysis.load.load_note`), under either judge.

Candidate replicas follow the weight (``ceil(weight x stable replicas)``,
as Argo Rollouts scales a canary with traffic routing), and a weight is set
only once the replicas for it are ready. With ``capacity: shared`` (the
default under the threshold judge) the stable version keeps all its replicas
until promotion, so rollback is instant. With ``capacity: proportional`` (the
default under the statistical judge, whose per-interval latency comparisons a
differently loaded arm would bias) the stable version shrinks to
``ceil((100 - weight) x replicas)`` once the traffic has moved, as Argo's
``dynamicStableScale``; a rollback then scales it back to full size first
and moves the traffic once it is ready (ROLLING_BACK).

**An operator's promote.** A KServe InferenceService's canary (a config
with ``inference_service``, read from ``{from: isvc.yaml}``) takes the
scenario's promote operations (:meth:`CanaryStrategy.take_promotes`): each
is the operator setting ``canaryTrafficPercent`` to 100 at its time. If the
canary has not decided by then, the strategy wakes at that time, skips what
is left of the monitoring and the threshold check, and sends all traffic to
the new revision, at once if it already has as many replicas as the stable
version had at the start, else once they are ready (as the canary's own
promotion does); the decision says it was the operator's promote and when.
A promote due at the same instant as a check goes first, and the check is
not made. A promote after the decision (or while the canary is already
scaling up for 100 %) does nothing. Times are the ones the scenario gives;
the strategy reads no clock other than ``observation.now``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from enum import Enum

from simulator.analysis.judge import MINIMUM_INTERVALS, JudgeResult, mann_whitney_judge
from simulator.analysis.load import load_note
from simulator.commands import Command, Decide, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.errors import StrategyError
from simulator.observations import Observation
from simulator.scenario.strategy_config import CanaryConfig
from simulator.scenario.world_config import PromoteOperation
from simulator.strategies.base import move_traffic_back, promote, roll_back
from simulator.strategies.watch import PAUSE_SECONDS, Baseline, StepWatch, evaluate

__all__ = ["CanaryStrategy"]

_EPSILON = 1e-9  # seconds: a promote "at" now may carry rounding from the driver's clock


class _State(Enum):
    START = "start"
    SCALING = "scaling"
    MONITORING = "monitoring"
    ROLLING_BACK = "rolling_back"
    DONE = "done"


class CanaryStrategy:
    """Step the candidate's weight up, checking the rollback thresholds at each step."""

    kind = "canary"

    def __init__(self, config: CanaryConfig) -> None:
        self.config = config
        self.schedule = config.schedule()
        self.fresh = config.baseline == "fresh"
        # With a fresh baseline the weight 100 is the promotion: nothing is left to judge against.
        self.check_last_step = (config.steps is not None or config.rollout_duration is not None) and not self.fresh
        self.baseline_waited = False
        self.first_step_at = 0.0
        self.state = _State.START
        self.step_index = 0
        self.stable_replicas = 0
        self.holds = 0
        self.watch = StepWatch(config)
        self.baseline = Baseline()
        self.promotes: list[float] = []
        """Times of the operator's promotes not yet carried out, seconds, in order (a KServe canary's)."""
        self.promoted_by: str | None = None
        """The decision's reason once an operator's promote has taken the canary to 100 %."""

    def take_promotes(self, operations: Sequence[PromoteOperation]) -> None:
        """Take the scenario's promote operations, before the rollout starts (a KServe canary's only).

        Each is the KServe operator's ``canaryTrafficPercent: 100`` at its
        ``at`` (see the module's notes); one after the canary has decided
        does nothing.
        """
        if self.config.inference_service is None:
            raise StrategyError("only a KServe InferenceService's canary takes promotes; this canary has none")
        if self.state is not _State.START:
            raise StrategyError("promotes are given before the rollout starts")
        if any(operation.full for operation in operations):
            raise StrategyError("a KServe promote sends all traffic at once; expected no full")
        self.promotes = sorted([*self.promotes, *(operation.at for operation in operations)])

    @property
    def weight(self) -> float:
        """Candidate weight of the current step, %."""
        return self.schedule[self.step_index]

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.state is _State.START:
            self.stable_replicas = observation.desired(observation.stable)
            if self.fresh:
                if observation.baseline is None:
                    raise RuntimeError("baseline: fresh needs a baseline deployment in the observation")
                self.baseline.fresh = observation.baseline
        due = [at for at in self.promotes if at <= observation.now + _EPSILON]
        self.promotes = self.promotes[len(due):]
        commands = self._operator_promote(observation, due) if due else self._next(observation)
        return self._until_next_promote(observation.now, commands)

    def _next(self, observation: Observation) -> list[Command]:
        """The canary's own next commands, without operators (see the module's state table)."""
        if self.state is _State.START:
            return self._scale_for_weight(observation)
        if self.state is _State.SCALING:
            if observation.ready(observation.candidate) < observation.desired(observation.candidate):
                return self._roll_back(observation,
                                       f"candidate replicas not ready within {self.config.ready_timeout:g}s")
            fresh = self.baseline.fresh
            if fresh is not None and observation.ready(fresh) < observation.desired(fresh):
                if self.baseline_waited:
                    return self._roll_back(observation,
                                           f"baseline replicas not ready within {self.config.ready_timeout:g}s")
                self.baseline_waited = True
                return [WaitUntilReady(version=fresh, timeout=self.config.ready_timeout)]
            return self._set_weight(observation)
        if self.state is _State.MONITORING:
            return self._check(observation)
        if self.state is _State.ROLLING_BACK:
            # The stable version is back at full size (or its wait timed out): move the traffic and finish.
            self.state = _State.DONE
            return self._retire_baseline(observation, move_traffic_back(observation))
        raise RuntimeError("canary strategy stepped after it finished")

    def _promote_acts(self) -> bool:
        """Whether an operator's promote would change anything now: undecided, not yet scaling for 100 %."""
        if self.state is _State.SCALING:
            return self.weight < 100.0
        return self.state in (_State.START, _State.MONITORING)

    def _operator_promote(self, observation: Observation, due: list[float]) -> list[Command]:
        """The operator's promotes due now: the first that can takes the canary to 100 %, the rest do nothing."""
        notes: list[Command] = []
        acted = False
        for at in due:
            if not acted and self._promote_acts():
                if self.state is _State.MONITORING:
                    skipped = f"the last {self.watch.remaining(observation.now):g}s of {self._label} and its check"
                else:
                    skipped = f"{self._label}, not yet begun"
                effect = (f"canaryTrafficPercent {self.schedule[0]:g} -> 100: all traffic to {observation.candidate}; "
                          f"skipped: {skipped}")
                self.promoted_by = f"operator's promote at {at:g}s ({effect})"
                self.step_index = len(self.schedule) - 1
                status, acted = "done", True
            elif self.state is _State.ROLLING_BACK:
                status, effect = "skipped", "the canary was already rolled back"
            else:
                status, effect = "skipped", f"{observation.candidate} was already on its way to 100 %"
            notes.append(Note(kind="operation", detail=f"promote at {at:g}s: {effect}",
                              data={"action": "promote", "target": observation.candidate, "status": status,
                                    "full": False, "effect": effect}))
        if acted:
            return [*notes, *self._scale_for_weight(observation)]
        return [*notes, *self._next(observation)]

    def _until_next_promote(self, now: float, commands: list[Command]) -> list[Command]:
        """``commands`` with their last wait cut short at the next operator's promote, if it would act then."""
        if not self.promotes or not self._promote_acts():
            return commands
        until = self.promotes[0] - now
        last = commands[-1]
        if isinstance(last, Wait) and last.seconds > until:
            return [*commands[:-1], Wait(seconds=until)]
        if isinstance(last, WaitUntilReady) and last.timeout > until:
            return [*commands[:-1], dataclasses.replace(last, timeout=until)]
        return commands

    def _roll_back(self, observation: Observation, reason: str) -> list[Command]:
        """Roll back; with proportional capacity the stable version is first scaled back to full size."""
        if observation.desired(observation.stable) >= self.stable_replicas:
            self.state = _State.DONE
            return self._retire_baseline(observation, roll_back(observation, reason))
        self.state = _State.ROLLING_BACK
        return [
            ScaleTo(version=observation.stable, replicas=self.stable_replicas),
            Decide(outcome="rolled_back", reason=reason),
            WaitUntilReady(version=observation.stable, timeout=self.config.ready_timeout),
        ]

    def _replicas_for(self, weight: float) -> int:
        if self.config.candidate_replicas == "full":
            return self.stable_replicas
        return max(1, math.ceil(weight / 100.0 * self.stable_replicas - 1e-9))

    def _scale_for_weight(self, observation: Observation) -> list[Command]:
        needed = self._replicas_for(self.weight)
        fresh = self.baseline.fresh if self.weight < 100.0 else None  # at 100 % the candidate is promoted
        deployments = [observation.candidate] + ([fresh] if fresh else [])
        if all(observation.desired(name) >= needed and observation.ready(name) >= needed for name in deployments):
            return self._set_weight(observation)
        self.state = _State.SCALING
        self.baseline_waited = False
        # A fresh baseline is sized like the canary, step by step (Kayenta's equally sized pair).
        scale: list[Command] = [ScaleTo(version=name, replicas=max(needed, observation.desired(name)))
                                for name in deployments]
        return [*scale, WaitUntilReady(version=observation.candidate, timeout=self.config.ready_timeout)]

    def _retire_baseline(self, observation: Observation, commands: list[Command]) -> list[Command]:
        """``commands`` with the fresh baseline removed before the last one (it serves nothing after a decision)."""
        fresh = self.baseline.fresh
        if fresh is None or observation.desired(fresh) == 0:
            return commands
        return [*commands[:-1], ScaleTo(version=fresh, replicas=0), commands[-1]]

    def _set_weight(self, observation: Observation) -> list[Command]:
        weight = self.weight
        if weight >= 100.0 and (not self.check_last_step or self.promoted_by is not None):
            self.state = _State.DONE
            return self._retire_baseline(observation, promote(
                observation, self.promoted_by or f"all {self.step_index} checks passed; candidate at 100 %"))
        if weight >= 100.0 and self.baseline.frozen is None:
            # The stable version is about to serve nothing: judge against its window before the change, once
            # that window can judge every rule.
            short = self._baseline_short(observation)
            if short is not None:
                return self._await_baseline(observation, short)
            self.baseline.freeze(observation, self.config.monitoring_duration,
                                 series=self.config.judge == "mann_whitney")
        if self.step_index == 0:
            self.first_step_at = observation.now
        self.state = _State.MONITORING
        weights = {observation.candidate: weight, observation.stable: 100.0 - weight}
        stable_weight = 100.0 - weight
        if self.baseline.fresh is not None:
            stable_weight = 100.0 - 2 * weight
            weights = {observation.candidate: weight, self.baseline.fresh: weight, observation.stable: stable_weight}
        commands: list[Command] = [SetWeights(weights=weights)]
        if self.config.capacity_mode == "proportional":
            # The stable version shrinks to its share once the traffic has moved (Argo's dynamicStableScale),
            # so both versions serve at the same load and compare like with like.
            share = math.ceil(stable_weight / 100.0 * self.stable_replicas - 1e-9)
            if share < observation.desired(observation.stable):
                commands.append(ScaleTo(version=observation.stable, replicas=share))
        return [*commands, Wait(seconds=self.watch.begin(observation.now, self.config.step_duration(self.step_index)))]

    @property
    def _label(self) -> str:
        return f"step {self.step_index + 1} at {self.weight:g} %"

    def _check(self, observation: Observation) -> list[Command]:
        in_step, aborted = self._in_step_check(observation)
        if aborted or self.watch.in_step(observation.now):
            return in_step
        note = in_step[0]  # the short-window check ran at the step's end too: keep its event
        return [note, *self._step_end_check(observation)]

    def _step_end_check(self, observation: Observation) -> list[Command]:
        if self.config.judge == "mann_whitney":
            return self._judge(observation)
        result = evaluate(observation, self.config, self.watch.step_duration, self.baseline)
        label = self._label
        if self.baseline.frozen is not None or self.baseline.fresh is not None:
            label += f" ({self.baseline.describe()})"
        if result.verdict == "inconclusive":
            return self._inconclusive(observation, label, result.summary(), result.to_dict())
        if result.verdict == "fail":
            return self._roll_back(observation, f"{label}: {result.summary()}")
        self.watch.passed()
        return self._advance(observation, f"{label} passed: {result.summary()}", result.to_dict())

    def _in_step_check(self, observation: Observation) -> tuple[list[Command], bool]:
        """A check of the last ``analysisWindow``: it can abort the rollout, never pass a step.

        Returns the commands (a note and the wait to the next look, or the
        rollback) and whether the rollout was aborted. It runs at every look,
        the step's end and the rechecks while waiting for data included.
        """
        config = self.config
        result = evaluate(observation, config, config.analysis_window, self.baseline, in_step=True)
        elapsed = observation.now - self.watch.started_at
        if self.watch.count(result):
            return self._roll_back(observation, f"{self._label}: {self.watch.failures} failed check(s) "
                                          f"(failureLimit {config.failure_limit}), the last {elapsed:g}s into the "
                                          f"step: {result.summary()}"), True
        data = {**self._where(), "in_step": True, "elapsed_s": elapsed, "failures": self.watch.failures,
                **result.to_dict()}
        note = Note(kind="check", detail=f"{self._label}, {elapsed:g}s in: {result.verdict}: {result.summary()}",
                    data=data)
        return [note, Wait(seconds=self.watch.next_look(observation.now))], False

    def _judge(self, observation: Observation) -> list[Command]:
        config = self.config
        metrics = observation.metrics
        label = self._label
        candidate = metrics.series(observation.candidate, self.watch.step_duration)
        stable = self.baseline.frozen_series or metrics.series(self.baseline.fresh or observation.stable,
                                                                self.watch.step_duration)
        if self.baseline.frozen_series is not None or self.baseline.fresh is not None:
            label += f" ({self.baseline.describe()})"
        result = mann_whitney_judge(
            candidate, stable, config.rollback_thresholds, alpha=config.judge_setting("judge_alpha"),
            pass_score=config.judge_setting("pass_score"), marginal_score=config.judge_setting("marginal_score"),
            minimum_labels=config.minimum_labels,
        )
        if result.verdict == "inconclusive" or candidate.requests.sum() < config.minimum_requests:
            return self._inconclusive(observation, label, f"judge: {result.summary()}", result.to_dict())
        if result.verdict == "fail":
            return self._roll_back(observation, f"{label}: judge {result.summary()}"
                                                f"{self._load_note(observation, result, ('fail',))}")
        if result.verdict == "marginal":
            self.holds += 1
            max_holds = int(config.judge_setting("max_holds"))
            if self.holds > max_holds:
                return self._roll_back(observation,
                                       f"{label}: marginal {self.holds} times in a row: {result.summary()}"
                                       f"{self._load_note(observation, result, ('fail', 'marginal'))}")
            return [
                Note(kind="check", detail=f"{label} holds ({self.holds}/{max_holds}): {result.summary()}",
                     data={**self._where(), **result.to_dict(), "holds": self.holds}),
                Wait(seconds=self.watch.begin(observation.now)),  # another step at this weight, checks and all
            ]
        self.holds = 0
        self.watch.passed()
        return self._advance(observation, f"{label} passed: judge {result.summary()}", result.to_dict())

    def _load_note(self, observation: Observation, result: JudgeResult, verdicts: tuple[str, ...]) -> str:
        """The load behind a judge's latency verdict in ``verdicts``, over the step (``""`` if none to tell)."""
        if not any(m.metric.startswith("latency") and m.verdict in verdicts for m in result.metrics):
            return ""
        metrics = observation.metrics
        duration = self.watch.step_duration
        baseline = self.baseline.frozen or metrics.window(self.baseline.fresh or observation.stable, duration,
                                                          quantiles=False)
        return load_note(metrics.window(observation.candidate, duration, quantiles=False), baseline)

    def _inconclusive(self, observation: Observation, label: str, why: str,
                      figures: dict[str, object]) -> list[Command]:
        """An inconclusive step-end check: wait for data up to the bound, then do what onInconclusive says."""
        config = self.config
        action, waited = self.watch.on_inconclusive(observation.now, observation.metrics.label_delay)
        data = {**self._where(), **figures, "verdict": "inconclusive", "waited_s": waited, "action": action}
        if action == "keep_waiting":
            return [Note(kind="check", detail=f"{label}: inconclusive, waiting for data ({why})", data=data),
                    Wait(seconds=config.recheck_interval)]
        if action == "promote":
            self.watch.passed()
            return self._advance(observation, f"{label} inconclusive after {waited:g}s ({why}); "
                                              "proceeding as onInconclusive: promote", data)
        if action == "pause":
            return [Note(kind="paused", detail=f"{label} inconclusive after {waited:g}s ({why}); paused "
                                              "as onInconclusive: pause", data=data),
                    Wait(seconds=PAUSE_SECONDS)]
        return self._roll_back(observation, f"{label}: inconclusive after {waited:g}s ({why})")

    def _baseline_short(self, observation: Observation) -> str | None:
        """What the stable version's window lacks to be the baseline of a step at 100 %, or ``None``."""
        config, metrics, stable = self.config, observation.metrics, observation.stable
        window = metrics.window(stable, config.monitoring_duration, quantiles=False)
        accuracy = config.rollback_thresholds.accuracy_drop is not None
        if window.requests < config.minimum_requests:
            return f"{stable}'s window has {window.requests} requests < {config.minimum_requests}"
        if accuracy and window.labelled < config.minimum_labels:
            return f"{stable}'s window has {window.labelled} labels < {config.minimum_labels}"
        if config.judge == "mann_whitney":
            series = metrics.series(stable, config.monitoring_duration)
            counts = {"requests": series.requests, **({"labels": series.labelled} if accuracy else {})}
            for what, values in counts.items():
                intervals = int((values > 0).sum())
                if intervals < MINIMUM_INTERVALS:
                    return f"{stable}'s window has {intervals} scrape intervals with {what} < {MINIMUM_INTERVALS}"
        return None

    def _await_baseline(self, observation: Observation, why: str) -> list[Command]:
        """Wait for the stable version's window (see :meth:`_baseline_short`) as for an inconclusive check.

        Until ``maxDataWait``, look again every ``recheckInterval`` (from SCALING, whichever state asked); then
        do what ``onInconclusive`` says: roll back, pause, or promote at once.
        """
        action, waited = self.watch.on_inconclusive(observation.now, observation.metrics.label_delay)
        label = f"baseline for step {self.step_index + 1} at 100 %"
        data = {**self._where(), "verdict": "inconclusive", "waited_s": waited, "action": action, "reason": why}
        if action == "keep_waiting":
            self.state = _State.SCALING  # come back here, not to the previous step's check
            return [Note(kind="check", detail=f"{label}: {why}, waiting for data", data=data),
                    Wait(seconds=self.config.recheck_interval)]
        if action == "promote":
            # The step at 100 % could only be judged against this window, which will not gain data: proceed as
            # passed means promote now, not wait for that step's data as well.
            self.state = _State.DONE
            return [Note(kind="check", detail=f"{label} inconclusive after {waited:g}s ({why}); proceeding as "
                                              "onInconclusive: promote", data=data),
                    *self._retire_baseline(observation, promote(
                        observation, f"{label} inconclusive after {waited:g}s ({why}); promoted as "
                                     "onInconclusive: promote"))]
        if action == "pause":
            self.state = _State.SCALING
            return [Note(kind="paused", detail=f"{label} inconclusive after {waited:g}s ({why}); paused as "
                                               "onInconclusive: pause", data=data),
                    Wait(seconds=PAUSE_SECONDS)]
        return self._roll_back(observation, f"{label}: inconclusive after {waited:g}s ({why})")

    def _where(self) -> dict[str, object]:
        """The step being checked (1-based) and its candidate weight, % (event data)."""
        return {"step": self.step_index + 1, "weight": self.weight}

    def _advance(self, observation: Observation, note: str, figures: dict[str, object]) -> list[Command]:
        commands: list[Command] = [Note(kind="check", detail=note, data={**self._where(), **figures})]
        duration = self.config.rollout_duration
        if duration is not None:
            elapsed = observation.now - self.first_step_at
            if elapsed >= duration - 1e-9:
                self.state = _State.DONE
                return commands + promote(observation, f"rolloutDuration {duration:g}s over ({elapsed:g}s since "
                                                       f"the first step) and {self._label} passed")
            if self.step_index == len(self.schedule) - 1:
                # Seed 003: the canary holds its top weight, checked every interval, until the duration ends.
                return commands + [Wait(seconds=self.watch.begin(observation.now))]
        self.step_index += 1
        if self.step_index >= len(self.schedule):
            self.state = _State.DONE
            return commands + self._retire_baseline(
                observation, promote(observation, f"all {self.step_index} steps passed their checks"))
        return commands + self._scale_for_weight(observation)
