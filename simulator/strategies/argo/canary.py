"""The canary of an Argo Rollouts ``Rollout``, run as a sans-I/O strategy from an :class:`ArgoCanaryPlan`.

Rules of the state machine (one place, read top to bottom)::

    PROGRESSING  at every observation, until nothing more happens at that instant:
                   measure what is due in the running analysis runs (background, the current step's)
                   a run that concluded Failed or Error                   -> ABORTING
                   a run that concluded Inconclusive                      -> PAUSED
                   the step index reached startingStep: start the background analysis
                   move the pods (and, with traffic routing, the weight) towards the current step
                   the current step completes, and the next one begins:
                     setWeight, setCanaryScale   once the pods are at their counts, the canary's ready
                     pause {duration}            once the duration has passed since the pause began
                     pause {}                    only by a promote (without one the run ends incomplete)
                     analysis                    once its run is Successful
                   after the last step: the canary at full size, then all traffic on it
                                                                          -> PROMOTED
                 then the promotes due by now, and the above again
    PAUSED       held by an inconclusive analysis until a promote; the runs still measure and
                 the pods still settle, but nothing concluded is acted on
    ABORTING     (decided: rolled_back, the reason the run's message; every run terminated)
                 traffic routing: all traffic back to stable at once (dynamicStableScale: once the
                 stable version is back at full size); the canary scaled down after
                 abortScaleDownDelaySeconds (never, for an explicit 0)      -> DONE
                 basic canary: the pods moved back under maxSurge/maxUnavailable -> DONE
    PROMOTED     (decided: promoted; the background analysis terminated)
                 the old stable version scaled down after scaleDownDelaySeconds -> DONE

**A promote** (the plan's :class:`Promotion` times, from the scenario's
operations) does what ``kubectl argo rollouts promote`` does at that moment,
after everything else due at that instant: held by an inconclusive
analysis, it releases the hold (an inconclusive step analysis counts as
passed, an inconclusive background analysis starts again); in a pause
step, it ends the pause; otherwise it skips the current step (cancelling
its analysis), which may not be the step the scenario's author meant if
the rollout is not where they expected. ``full`` skips every remaining
step. Once the rollout is decided, a promote changes nothing.

**Waking.** The strategy returns a :class:`Wait` until the first of: a
measurement due, a timed pause's end, the next promote, a scale-down; or a
:class:`WaitUntilReady` for the version whose new pods are not ready yet,
bounded by the same time. With nothing to wait for (a pause without a
promote) it waits past any horizon, and the run ends incomplete with a
``paused`` event saying why.

Simplifications: the controller's reconciliations take no time here (a
step that needs nothing from the pods completes at the instant it begins);
with ``dynamicStableScale`` an abort moves all traffic back once the stable
version is at full size, where Argo steps the weight down through earlier
``setWeight`` values as stable pods become ready; ``minPodsPerReplicaSet``,
header and mirror routes, experiments and ``progressDeadlineSeconds`` are
not modelled (a canary that never becomes ready is waited for).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from simulator.analysis.argo import AnalysisPhase
from simulator.commands import Command, Decide, Finish, Note, RouteByReplicas, Wait, WaitUntilReady
from simulator.errors import StrategyError
from simulator.observations import Observation
from simulator.scenario.world_config import PromoteOperation
from simulator.strategies.argo.plan import (
    ArgoCanaryPlan,
    Pause,
    Promotion,
    RunAnalysis,
    describe_step,
    promotes_in_order,
)
from simulator.strategies.argo.runs import AnalysisRunner
from simulator.strategies.argo.traffic import PodView, Traffic
from simulator.strategies.watch import PAUSE_SECONDS

__all__ = ["ArgoCanaryStrategy"]

_EPSILON = 1e-9  # seconds: a time "at" now may carry rounding from the driver's clock
_MAX_PASSES = 1000  # passes at one instant before the strategy admits it is going round in circles
_FAILED = (AnalysisPhase.FAILED, AnalysisPhase.ERROR)


class _State(Enum):
    PROGRESSING = "progressing"
    PAUSED = "paused"
    ABORTING = "aborting"
    PROMOTED = "promoted"
    DONE = "done"


class ArgoCanaryStrategy:
    """Run a Rollout's canary steps and analyses as Argo's controller would (see the module's rules)."""

    kind = "argo_canary"

    def __init__(self, plan: ArgoCanaryPlan) -> None:
        self.plan = plan
        self.services: dict[str, tuple[str, ...]] = {}
        """Kubernetes Services by role (``stable``, ``canary``), for the Prometheus series its analyses query."""
        self.state = _State.PROGRESSING
        self.outcome = ""
        self.index = 0
        self.traffic = Traffic(plan, "", "")
        self.background: AnalysisRunner | None = None
        self.step_run: AnalysisRunner | None = None
        self.pause_began: float | None = None
        self.promotions = promotes_in_order(plan.promotions)
        self.next_promotion = 0
        self.scale_down_at: float | None = None  # the aborted canary's, or the old stable version's
        self.routed_back = False  # whether an abort has sent all traffic back to the stable version
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
            raise StrategyError("argo canary stepped after it finished")
        commands: list[Command] = []
        if not self._started:
            self._started = True
            self.traffic = Traffic(self.plan, observation.stable, observation.candidate)
            if not self.plan.traffic_routing:
                commands.append(RouteByReplicas())  # the basic canary: the pods carry the traffic
            commands.append(self._step_note())
        pods = PodView(observation, (self.traffic.stable, self.traffic.candidate))
        self._settle(observation, pods, commands)
        while self.next_promotion < len(self.promotions) \
                and self.promotions[self.next_promotion].at_s <= observation.now + _EPSILON:
            self.next_promotion += 1
            commands.extend(self._promote(self.promotions[self.next_promotion - 1], observation.now))
            self._settle(observation, pods, commands)
        commands.append(Finish() if self.state is _State.DONE else self._wait(observation.now, pods))
        return commands

    def _settle(self, observation: Observation, pods: PodView, commands: list[Command]) -> None:
        for _ in range(_MAX_PASSES):
            for run in (self.background, self.step_run):
                if run is not None and not run.completed:
                    commands.extend(run.measure(observation, self._where(pods)))
            if not self._advance(observation.now, pods, commands):
                return
        raise StrategyError(f"argo canary did not settle at t={observation.now:g}s (step index {self.index})")

    def _advance(self, now: float, pods: PodView, commands: list[Command]) -> bool:
        """One pass at this instant; whether anything changed (then another pass follows)."""
        if self.state in (_State.PROGRESSING, _State.PAUSED):
            moved = self.traffic.reconcile(self.index, pods)
            commands.extend(moved)
            progressed = self.state is _State.PROGRESSING and self._progress(now, pods, commands)
            return progressed or bool(moved)
        if self.state is _State.ABORTING:
            return self._abort_progress(now, pods, commands)
        if self.state is _State.PROMOTED and now >= (self.scale_down_at or 0.0) - _EPSILON:
            commands.extend(pods.scale(self.traffic.stable, 0))
            self.state = _State.DONE
            return True
        return False

    # the steps --------------------------------------------------------------

    def _progress(self, now: float, pods: PodView, commands: list[Command]) -> bool:
        for run in (self.background, self.step_run):
            if run is not None and run.completed and not run.handled:
                run.handled = True
                if run.phase in _FAILED:
                    self._abort(now, pods, commands, run)
                    return True
                if run.phase == AnalysisPhase.INCONCLUSIVE:
                    self.state = _State.PAUSED
                    commands.append(self._paused_note(f"{run.conclusion()}; the rollout waits for a promote"))
                    return True
        background, steps = self.plan.background, self.plan.steps
        if background is not None and self.background is None \
                and self.index >= min(background.starting_step, len(steps)):
            self.background = AnalysisRunner("background", background.spec, now)
            commands.append(self._run_note(self.background, pods, f"started at step {self._step_label()}"))
            return True
        if self.index >= len(steps):
            return self._promote_when_ready(now, pods, commands)
        step = steps[self.index]
        if isinstance(step, Pause):
            if self.pause_began is None:
                self.pause_began = now
                if step.duration_s is None:
                    commands.append(self._paused_note(f"step {self._step_label()}: pause without a duration waits "
                                                      "for a promote"))
            if step.duration_s is not None and now >= self.pause_began + step.duration_s - _EPSILON:
                return self._next_step(commands)
            return False
        if isinstance(step, RunAnalysis):
            if self.step_run is None:
                self.step_run = AnalysisRunner(f"step {self.index + 1}", step.spec, now)
                commands.append(self._run_note(self.step_run, pods, "started"))
                return True
            return self.step_run.phase == AnalysisPhase.SUCCESSFUL and self._next_step(commands)
        return self.traffic.at_counts(self.index, pods) and self._next_step(commands)

    def _next_step(self, commands: list[Command]) -> bool:
        self.index += 1
        self.pause_began = None
        self.step_run = None
        commands.append(self._step_note())
        return True

    def _step_label(self) -> str:
        return f"{self.index + 1}/{len(self.plan.steps)}"

    def _where(self, pods: PodView) -> dict[str, object]:
        """The step (1-based; ``None`` after the last) and the canary's traffic share, %, for events."""
        step = self.index + 1 if self.index < len(self.plan.steps) else None
        return {"step": step, "weight": self.traffic.share(pods)}

    # events ---------------------------------------------------------------

    def _step_note(self) -> Note:
        steps = self.plan.steps
        if self.index >= len(steps):
            return Note(kind="step", detail=f"all {len(steps)} steps done: promoting {self.traffic.candidate} fully",
                        data={"step": None, "of": len(steps), "action": "promote"})
        action = describe_step(steps[self.index])
        return Note(kind="step", detail=f"step {self._step_label()}: {action}",
                    data={"step": self.index + 1, "of": len(steps), "action": action})

    def _run_note(self, run: AnalysisRunner, pods: PodView, what: str) -> Note:
        return Note(kind="analysis", detail=f"{run.label} analysis {what}",
                    data={**self._where(pods), "analysis": run.label, "phase": str(run.phase),
                          "message": run.state.message})

    def _paused_note(self, why: str) -> Note:
        upcoming = [promotion.at_s for promotion in self.promotions[self.next_promotion:]]
        release = f"; the next promote is at {upcoming[0]:g}s" if upcoming else "; no promote is scheduled"
        return Note(kind="paused", detail=f"{why}{release}",
                    data={"step": self.index + 1 if self.index < len(self.plan.steps) else None, "reason": why,
                          "promote_at": upcoming[0] if upcoming else None})

    # outcomes ---------------------------------------------------------------

    def _promote_when_ready(self, now: float, pods: PodView, commands: list[Command]) -> bool:
        if not (self.traffic.at_counts(self.index, pods) and self.traffic.fully_routed()):
            return False
        background = self.background
        if background is not None and not background.completed:
            background.terminate(now)
            commands.append(self._run_note(background, pods, f"terminated at the promotion: {background.conclusion()}"))
        steps = len(self.plan.steps)
        figures: dict[str, object] = {"steps": steps}
        if background is not None:
            figures["background"] = {"phase": str(background.phase), "message": background.state.message}
        commands.append(Decide(outcome="promoted", analysis=figures,
                               reason=f"all {steps} steps done; {self.traffic.candidate} fully promoted"))
        self.state, self.outcome = _State.PROMOTED, "promoted"
        self.scale_down_at = now + self.plan.scale_down_delay()
        return True

    def _abort(self, now: float, pods: PodView, commands: list[Command], run: AnalysisRunner) -> None:
        """Abort on ``run``'s conclusion: decided rolled_back; the traffic goes back as the plan's routing allows."""
        for other in (self.background, self.step_run):
            if other is not None and not other.completed:
                other.terminate(now)
        self.state, self.outcome = _State.ABORTING, "rolled_back"
        figures = {"analysis": run.label, "phase": str(run.phase), "message": run.state.message,
                   **self._where(pods)}
        commands.append(Decide(outcome="rolled_back", reason=run.conclusion(), analysis=figures))

    def _route_back(self, now: float) -> list[Command]:
        """All traffic to the stable version; the canary's scale-down scheduled (or never, if it is kept)."""
        self.routed_back = True
        delay = self.plan.abort_delay()
        self.scale_down_at = None if delay is None else now + delay
        return self.traffic.route_back()

    def _abort_progress(self, now: float, pods: PodView, commands: list[Command]) -> bool:
        traffic = self.traffic
        if not self.plan.traffic_routing:
            canary, stable = traffic.basic_counts(pods, 0)
            scaled = pods.scale(traffic.candidate, canary) + pods.scale(traffic.stable, stable)
            commands.extend(scaled)
            if not scaled and canary == 0 and pods.settled(traffic.stable):
                self.state = _State.DONE
                return True
            return bool(scaled)
        if not self.routed_back:  # the stable version at full size first (it shrank only with dynamicStableScale)
            grown = pods.scale(traffic.stable, self.plan.replicas)
            commands.extend(grown)
            if not pods.settled(traffic.stable):
                return bool(grown)
            commands.extend(self._route_back(now))
            return True
        if self.scale_down_at is None:  # abortScaleDownDelaySeconds: 0 keeps the canary's pods
            self.state = _State.DONE
            return True
        if now >= self.scale_down_at - _EPSILON:
            commands.extend(pods.scale(traffic.candidate, 0))
            self.state = _State.DONE
            return True
        return False

    # promotes -----------------------------------------------------------

    def _promote(self, promotion: Promotion, now: float) -> list[Command]:
        """Carry out one promote; an ``operation`` event says what it did (and a ``step`` event where it led)."""
        status, steps, index_before = "done", self.plan.steps, self.index
        if self.state not in (_State.PROGRESSING, _State.PAUSED):
            status, effect = "skipped", f"the rollout was already {self.outcome.replace('_', ' ')}"
        elif promotion.full:
            if self.step_run is not None and not self.step_run.completed:
                self.step_run.terminate(now)
            self._restart_background(now)
            effect = f"full promotion: {len(steps) - self.index} remaining step(s) skipped"
            self.index, self.pause_began, self.step_run = len(steps), None, None
            self.state, self.traffic.full_promote = _State.PROGRESSING, True
        elif self.state is _State.PAUSED:
            self.state = _State.PROGRESSING
            effects = []
            if self.step_run is not None and self.step_run.phase == AnalysisPhase.INCONCLUSIVE:
                effects.append(f"step {self.index + 1}'s inconclusive analysis passed over")
                self.index, self.pause_began, self.step_run = self.index + 1, None, None
            if self._restart_background(now):
                effects.append("the background analysis starts again")
            effect = "; ".join(effects) or "the hold released"
        elif self.index < len(steps):
            current = steps[self.index]
            if isinstance(current, Pause):
                effect = f"the pause at step {self.index + 1} released"
            else:
                if self.step_run is not None and not self.step_run.completed:
                    self.step_run.terminate(now)
                effect = f"step {self.index + 1} ({describe_step(current)}) skipped"
            self.index, self.pause_began, self.step_run = self.index + 1, None, None
        else:
            status, effect = "skipped", "no step left to skip"
        kind = "promote --full" if promotion.full else "promote"
        commands: list[Command] = [
            Note(kind="operation", detail=f"{kind} at {promotion.at_s:g}s: {effect}",
                 data={"action": "promote", "target": self.traffic.candidate, "status": status,
                       "full": promotion.full, "effect": effect})]
        if self.index != index_before:
            commands.append(self._step_note())
        return commands

    def _restart_background(self, now: float) -> bool:
        """Start the background analysis again if it ended inconclusive; whether it did."""
        background = self.plan.background
        if background is None or self.background is None or self.background.phase != AnalysisPhase.INCONCLUSIVE:
            return False
        self.background = AnalysisRunner("background", background.spec, now)
        return True

    # waiting ---------------------------------------------------------------

    def _wait(self, now: float, pods: PodView) -> Command:
        times: list[float] = []
        if self.state in (_State.PROGRESSING, _State.PAUSED):
            times += [time for run in (self.background, self.step_run) if run is not None
                      for time in [run.next_time()] if time is not None]
            if self.next_promotion < len(self.promotions):
                times.append(self.promotions[self.next_promotion].at_s)
            steps = self.plan.steps
            current = steps[self.index] if self.index < len(steps) else None
            if self.state is _State.PROGRESSING and isinstance(current, Pause) and current.duration_s is not None \
                    and self.pause_began is not None:
                times.append(self.pause_began + current.duration_s)
        elif self.scale_down_at is not None:
            times.append(self.scale_down_at)
        seconds = max(0.0, min(times) - now) if times else PAUSE_SECONDS
        for version in (self.traffic.candidate, self.traffic.stable):
            if not pods.settled(version):
                return WaitUntilReady(version=version, timeout=seconds)
        return Wait(seconds=seconds)
