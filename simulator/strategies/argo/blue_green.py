"""The blue-green of an Argo Rollouts ``Rollout``, run as a sans-I/O strategy from an :class:`ArgoBlueGreenPlan`.

Argo's update sequence (its documentation's "BlueGreen" page), as a state
machine read top to bottom; the candidate is the new ReplicaSet, behind the
preview Service; the stable version is behind the active Service::

    SCALING_PREVIEW  the candidate scaled to previewReplicaCount (or spec.replicas),
                     with no user traffic; once every pod is ready          -> PRE_ANALYSIS
    PRE_ANALYSIS     prePromotionAnalysis runs (none: at once)
                     Failed or Error                                       -> ABORTED
                     Inconclusive                                          -> PAUSED (a promote passes it)
                     Successful: autoPromotionEnabled false, or autoPromotionSeconds > 0
                                                                           -> PAUSED
                                 otherwise                                 -> SCALING_FULL
    PAUSED           until a promote, or autoPromotionSeconds after the pause began
                     (ignored when autoPromotionEnabled is false, as in Argo) -> SCALING_FULL
    SCALING_FULL     with previewReplicaCount: the candidate scaled to spec.replicas, all ready
                     then the active Service switched: all user traffic on the candidate
                                                                           -> POST_ANALYSIS
    POST_ANALYSIS    postPromotionAnalysis runs (none: at once); the old version keeps its pods
                     Failed or Error: the active Service switched back     -> ABORTED
                     Inconclusive                                          -> PAUSED_AFTER (a promote passes it)
                     Successful   (decided: promoted, the candidate now stable)
                                  the old version scaled to 0 after scaleDownDelaySeconds -> DONE
    ABORTED          (decided: rolled_back; every run terminated) all traffic on the stable version;
                     the candidate scaled to 0 after abortScaleDownDelaySeconds (never, for 0) -> DONE

**The decision** comes where Argo's does: a rollout is fully promoted only
once its post-promotion analysis has passed, so a candidate that fails it
is rolled back without ever having been promoted, although it served all
the traffic for the analysis' length (the run's exposure figures say so).

**A promote** (the plan's :class:`Promotion` times) releases a pause, or
passes over an inconclusive analysis; before the pause (the preview still
starting, or its analysis running) it does nothing, logged as skipped;
``full`` also ends a running pre-promotion analysis and promotes at once.
Once the rollout is decided, a promote changes nothing.

**The Services** carry Prometheus series for analyses: the stable version is
behind the active Service (and the Rollout's name); the candidate behind the
preview Service, the active Service and the Rollout's name, from the start.
Before the switch the candidate serves no user traffic, so a query of the
active Service measures the stable version only; after it, the candidate
(and, within a query's range, the stable version's last requests, as a real
Prometheus would keep them). A query of the preview Service before the
switch finds no requests: a prometheus pre-promotion analysis of it errs as
it would on a cluster with no test traffic; a ``job`` analysis (a smoke
test) is the usual pre-promotion gate.

Simplifications: the controller's reconciliations take no time;
``minReadySeconds``, ``antiAffinity``, ``maxUnavailable`` and
``progressDeadlineSeconds`` are not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from simulator.analysis.argo import AnalysisPhase, AnalysisRunSpec
from simulator.commands import Command, Decide, Finish, Note, ScaleTo, SetWeights, Wait, WaitUntilReady
from simulator.errors import StrategyError
from simulator.observations import Observation
from simulator.scenario.world_config import PromoteOperation
from simulator.strategies.argo.blue_green_plan import ArgoBlueGreenPlan
from simulator.strategies.argo.plan import Promotion, promotes_in_order
from simulator.strategies.argo.runs import AnalysisRunner
from simulator.strategies.watch import PAUSE_SECONDS

__all__ = ["ArgoBlueGreenStrategy"]

_EPSILON = 1e-9  # seconds: a time "at" now may carry rounding from the driver's clock
_MAX_PASSES = 100  # passes at one instant before the strategy admits it is going round in circles
_FAILED = (AnalysisPhase.FAILED, AnalysisPhase.ERROR)


class _State(Enum):
    SCALING_PREVIEW = "scaling preview"
    PRE_ANALYSIS = "pre-promotion analysis"
    PAUSED = "paused"
    SCALING_FULL = "scaling to full size"
    POST_ANALYSIS = "post-promotion analysis"
    PAUSED_AFTER = "paused after the switch"
    ABORTED = "aborted"
    PROMOTED = "promoted"
    DONE = "done"


class ArgoBlueGreenStrategy:
    """Run a Rollout's blue-green update as Argo's controller would (see the module's rules)."""

    kind = "argo_blue_green"

    def __init__(self, plan: ArgoBlueGreenPlan) -> None:
        self.plan = plan
        self.services: dict[str, tuple[str, ...]] = {}
        """Kubernetes Services by role (``stable``, ``canary``), for the Prometheus series its analyses query."""
        self.state = _State.SCALING_PREVIEW
        self.outcome = ""
        self.stable = self.candidate = ""
        self.run: AnalysisRunner | None = None
        self.pause_began: float | None = None
        self.promotions = promotes_in_order(plan.promotions)
        self.next_promotion = 0
        self.scale_down_at: float | None = None  # the old version's after a promotion, the candidate's after an abort
        self.scale_down_version = ""
        self.switched = False  # whether the active Service points at the candidate
        self._desired: dict[str, int] = {}
        self._ready: dict[str, int] = {}
        self._started = False

    def take_promotes(self, operations: Sequence[PromoteOperation]) -> None:
        """Add the scenario's promote operations to the plan's promotes (before the rollout starts)."""
        if self._started:
            raise StrategyError("promotes are given before the rollout starts")
        self.promotions = promotes_in_order(self.promotions, operations)

    # the driver's entry point ---------------------------------------------

    def step(self, observation: Observation) -> list[Command]:
        """The next commands (see the module's rules)."""
        if self.state is _State.DONE:
            raise StrategyError("argo blue-green stepped after it finished")
        commands: list[Command] = []
        first = not self._started
        if first:
            self._started = True
            self.stable, self.candidate = observation.stable, observation.candidate
        self._look(observation)
        if first:
            commands.append(SetWeights(weights={self.stable: 100.0, self.candidate: 0.0}))
            commands.extend(self._scale(self.stable, self.plan.replicas))
            commands.extend(self._scale(self.candidate, self.plan.preview_size))
            commands.append(self._note(f"preview: {self.candidate} scaled to {self.plan.preview_size} pod(s), "
                                       f"no user traffic; {self.stable} stays active"))
        self._settle(observation, commands)
        while self.next_promotion < len(self.promotions) \
                and self.promotions[self.next_promotion].at_s <= observation.now + _EPSILON:
            self.next_promotion += 1
            commands.extend(self._promote(self.promotions[self.next_promotion - 1], observation.now))
            self._settle(observation, commands)
        commands.append(Finish() if self.state is _State.DONE else self._wait(observation.now))
        return commands

    def _look(self, observation: Observation) -> None:
        """The pods as observed (the commands of earlier steps are in effect by now)."""
        for version in (self.stable, self.candidate):
            self._desired[version] = observation.desired(version)
            self._ready[version] = min(observation.ready(version), self._desired[version])

    def _scale(self, version: str, replicas: int) -> list[Command]:
        """Ask for ``replicas`` pods of ``version``: a :class:`ScaleTo`, or nothing if that is the count already."""
        if self._desired[version] == replicas:
            return []
        self._desired[version] = replicas
        self._ready[version] = min(self._ready[version], replicas)
        return [ScaleTo(version=version, replicas=replicas)]

    def _ready_at(self, version: str, replicas: int) -> bool:
        return self._desired[version] == replicas and self._ready[version] >= replicas

    def _settle(self, observation: Observation, commands: list[Command]) -> None:
        for _ in range(_MAX_PASSES):
            run = self.run
            if run is not None and not run.completed:
                commands.extend(run.measure(observation, self._where()))
            if not self._advance(observation, commands):
                return
        raise StrategyError(f"argo blue-green did not settle at t={observation.now:g}s ({self.state.value})")

    def _advance(self, observation: Observation, commands: list[Command]) -> bool:
        """One pass at this instant; whether anything changed (then another pass follows)."""
        now, plan, state = observation.now, self.plan, self.state
        if state is _State.SCALING_PREVIEW:
            if not self._ready_at(self.candidate, plan.preview_size):
                return False
            self.state = _State.PRE_ANALYSIS
            return self._start_run("pre-promotion", plan.pre_promotion, now, commands)
        if state in (_State.PRE_ANALYSIS, _State.POST_ANALYSIS):
            return self._analysis_moved(now, commands)
        if state is _State.PAUSED:
            if self._auto_promotes() and self.pause_began is not None \
                    and now >= self.pause_began + plan.auto_promotion_s - _EPSILON:
                commands.append(self._note(f"autoPromotionSeconds ({plan.auto_promotion_s:g}s) passed: promoting"))
                self.state, self.pause_began = _State.SCALING_FULL, None
                self._full_size_commands(commands)
                return True
            return False
        if state is _State.SCALING_FULL:
            if not self._ready_at(self.candidate, plan.replicas):
                return False
            self._switch(now, commands)
            return True
        if state in (_State.ABORTED, _State.PROMOTED):
            if self.scale_down_at is None:  # an aborted preview kept (abortScaleDownDelaySeconds: 0)
                self.state = _State.DONE
                return True
            if now >= self.scale_down_at - _EPSILON:
                commands.extend(self._scale(self.scale_down_version, 0))
                self.state = _State.DONE
                return True
        return False

    def _start_run(self, label: str, spec: AnalysisRunSpec | None, now: float, commands: list[Command]) -> bool:
        self.run = None if spec is None else AnalysisRunner(label, spec, now)
        if self.run is not None:
            commands.append(self._run_note(self.run, "started"))
        return True

    def _analysis_moved(self, now: float, commands: list[Command]) -> bool:
        run = self.run
        if run is not None and not run.completed:
            return False
        before = self.state is _State.PRE_ANALYSIS
        if run is not None and not run.handled:
            run.handled = True
            if run.phase in _FAILED:
                self._abort(now, commands, run)
                return True
            if run.phase == AnalysisPhase.INCONCLUSIVE:
                self._pause(now, commands, f"{run.conclusion()}; the rollout waits for a promote",
                            _State.PAUSED if before else _State.PAUSED_AFTER)
                return True
        if before:
            if self.plan.pauses:
                why = "autoPromotionEnabled is false: the rollout waits for a promote" \
                    if not self.plan.auto_promotion_enabled \
                    else f"paused for autoPromotionSeconds ({self.plan.auto_promotion_s:g}s) before the switch"
                self._pause(now, commands, why, _State.PAUSED)
                return True
            self.state = _State.SCALING_FULL
            self._full_size_commands(commands)
            return True
        self._promoted(now, commands)
        return True

    def _full_size_commands(self, commands: list[Command]) -> None:
        scaled = self._scale(self.candidate, self.plan.replicas)
        if scaled:
            commands.extend(scaled)
            commands.append(self._note(f"previewReplicaCount: {self.candidate} scaled to {self.plan.replicas} "
                                       "pod(s) before the switch"))

    def _switch(self, now: float, commands: list[Command]) -> None:
        self.switched = True
        commands.append(SetWeights(weights={self.candidate: 100.0, self.stable: 0.0}))
        commands.append(self._note(f"active Service switched to {self.candidate}; {self.stable} keeps its pods"))
        self.state = _State.POST_ANALYSIS
        self._start_run("post-promotion", self.plan.post_promotion, now, commands)

    def _pause(self, now: float, commands: list[Command], why: str, state: _State) -> None:
        self.state, self.pause_began = state, now
        upcoming = [promotion.at_s for promotion in self.promotions[self.next_promotion:]]
        release = f"; the next promote is at {upcoming[0]:g}s" if upcoming else "; no promote is scheduled"
        if self._auto_promotes():
            release = f"; the switch comes at {now + self.plan.auto_promotion_s:g}s unless promoted sooner"
        commands.append(Note(kind="paused", detail=f"{why}{release}",
                             data={"reason": why, "promote_at": upcoming[0] if upcoming else None}))

    def _auto_promotes(self) -> bool:
        """Whether the current pause ends by itself (autoPromotionSeconds, not an inconclusive analysis's hold)."""
        run = self.run
        held = run is not None and run.phase == AnalysisPhase.INCONCLUSIVE
        return self.state is _State.PAUSED and not held and self.plan.auto_promotion_enabled \
            and self.plan.auto_promotion_s > 0

    # outcomes ---------------------------------------------------------------

    def _promoted(self, now: float, commands: list[Command]) -> None:
        figures: dict[str, object] = {}
        if self.plan.post_promotion is not None and self.run is not None:
            figures["post_promotion"] = {"phase": str(self.run.phase), "message": self.run.state.message}
        reason = (f"post-promotion analysis passed; {self.candidate} fully promoted" if self.plan.post_promotion
                  else f"active Service switched; {self.candidate} fully promoted")
        commands.append(Decide(outcome="promoted", reason=reason, analysis=figures or None))
        self.state, self.outcome = _State.PROMOTED, "promoted"
        self.scale_down_at, self.scale_down_version = now + self.plan.scale_down_delay_s, self.stable

    def _abort(self, now: float, commands: list[Command], run: AnalysisRunner) -> None:
        if self.switched:
            commands.append(SetWeights(weights={self.stable: 100.0, self.candidate: 0.0}))
            self.switched = False
        figures = {"analysis": run.label, "phase": str(run.phase), "message": run.state.message}
        commands.append(Decide(outcome="rolled_back", reason=run.conclusion(), analysis=figures))
        self.state, self.outcome = _State.ABORTED, "rolled_back"
        delay = self.plan.abort_delay()
        self.scale_down_at = None if delay is None else now + delay
        self.scale_down_version = self.candidate

    # promotes -----------------------------------------------------------

    def _promote(self, promotion: Promotion, now: float) -> list[Command]:
        """Carry out one promote; an ``operation`` event says what it did."""
        status, state = "done", self.state
        commands: list[Command] = []
        if state in (_State.ABORTED, _State.PROMOTED, _State.DONE):
            status, effect = "skipped", f"the rollout was already {self.outcome.replace('_', ' ')}"
        elif state is _State.PAUSED:
            effect = "the pause before the switch released"
            self.state, self.pause_began = _State.SCALING_FULL, None
            self._full_size_commands(commands)
        elif state is _State.PAUSED_AFTER:
            effect = "the inconclusive post-promotion analysis passed over"
            self.state, self.pause_began = _State.POST_ANALYSIS, None
        elif promotion.full and state is _State.PRE_ANALYSIS:
            if self.run is not None and not self.run.completed:
                self.run.terminate(now)
                self.run.handled = True
            effect = "full promotion: the pre-promotion analysis ended"
            self.state = _State.SCALING_FULL
            self._full_size_commands(commands)
        else:
            status, effect = "skipped", f"nothing to promote yet ({state.value})"
        kind = "promote --full" if promotion.full else "promote"
        return [Note(kind="operation", detail=f"{kind} at {promotion.at_s:g}s: {effect}",
                     data={"action": "promote", "target": self.candidate, "status": status,
                           "full": promotion.full, "effect": effect}), *commands]

    # events and waiting -----------------------------------------------------

    def _where(self) -> dict[str, object]:
        return {"phase": self.state.value, "weight": 100.0 if self.switched else 0.0}

    def _note(self, detail: str) -> Note:
        return Note(kind="step", detail=detail, data={"phase": self.state.value, "switched": self.switched})

    def _run_note(self, run: AnalysisRunner, what: str) -> Note:
        return Note(kind="analysis", detail=f"{run.label} analysis {what}",
                    data={**self._where(), "analysis": run.label, "phase": str(run.phase),
                          "message": run.state.message})

    def _wait(self, now: float) -> Command:
        times: list[float] = []
        if self.run is not None and not self.run.completed:
            time = self.run.next_time()
            if time is not None:
                times.append(time)
        if self.state not in (_State.ABORTED, _State.PROMOTED) and self.next_promotion < len(self.promotions):
            times.append(self.promotions[self.next_promotion].at_s)
        if self._auto_promotes() and self.pause_began is not None:
            times.append(self.pause_began + self.plan.auto_promotion_s)
        if self.state in (_State.ABORTED, _State.PROMOTED) and self.scale_down_at is not None:
            times.append(self.scale_down_at)
        seconds = max(0.0, min(times) - now) if times else PAUSE_SECONDS
        if self.state in (_State.SCALING_PREVIEW, _State.SCALING_FULL) \
                and self._ready[self.candidate] < self._desired[self.candidate]:
            return WaitUntilReady(version=self.candidate, timeout=seconds)
        if self.state in (_State.SCALING_PREVIEW, _State.PRE_ANALYSIS) \
                and self._ready[self.stable] < self._desired[self.stable]:
            return WaitUntilReady(version=self.stable, timeout=seconds)
        return Wait(seconds=seconds)
