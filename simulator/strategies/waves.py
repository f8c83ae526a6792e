"""Waves: a rollout region by region, any strategy inside each wave, a bake watch between waves.

Rules of the state machine (one place, read top to bottom)::

    START      note the regions and each one's stable fleet; start wave 1         -> WAVE
    WAVE       every region of the wave runs its own copy of `each` at once, on its own
               region's observation; its commands act in its region, its waits are
               branches of one WaitAny (a region's wait ending steps that region only)
                 a region rolled back (or revised its promotion)                -> FAILED
                 every region of the wave promoted, waves left, bake > 0         -> BAKE
                 every region of the wave promoted, waves left, no bake          -> next WAVE
                 every region of the last wave promoted: promoted                 -> FINISHING
    BAKE       every analysisInterval: each region of the wave, the candidate's last
               analysisWindow against that region's baseline (the in-step rules)
                 more than failureLimit failed checks                           -> FAILED
               at the bake's end: the whole bake against the same baselines, every rule
                 a region fails                                                 -> FAILED
                 inconclusive: look again every recheckInterval; after maxDataWait
                   do what onInconclusive says (promote: go on; pause: hold)
                 every region passes                                            -> next WAVE
    FAILED     (not a state) decide rolled back, then onFailure:
                 rollback_all: every region on the candidate goes back
                 halt: only the failing wave's regions go back; earlier waves keep it
               a region goes back by getting its stable fleet ready again, then all its
               traffic; a region whose own strategy rolled back does so itself -> FINISHING
    FINISHING  the regions' own strategies and the regions going back run to their end -> done

A region's baseline is its stable version's window of the last ``bake``
seconds (at least ``analysisWindow``) just before the candidate took all
its traffic (its strategy's switch to 100 %, or its promotion where the
switch is no weight, as in a rolling update): after that the stable version
serves nothing there, so the bake compares with the same region before the
change, as a blue-green watch does (:mod:`simulator.strategies.watch`).
Where that window cannot judge every rule (too few requests, or no labels
yet for the accuracy rule: a first wave right at the start), the baseline
is the stable version where it still serves at the same time, the other
regions over the same window. The earlier waves are not
checked again during a later bake; their own strategies' post-promotion
watches (``postPromotion``) still run.

The strategy is a sans-I/O controller like the ones it runs: it never
touches the world, and its regions' strategies see only their region's
observation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import Enum
from typing import cast

from simulator.commands import (
    BranchWait,
    Command,
    Decide,
    Finish,
    Mirror,
    Note,
    RouteByReplicas,
    RunSmokeTest,
    RunTestSuite,
    ScaleTo,
    SetWeights,
    Wait,
    WaitAny,
    WaitUntilReady,
)
from simulator.observations import Observation, SmokeTestResult, TestSuiteResult
from simulator.scenario.waves_config import WavesConfig, WaveStrategyConfig
from simulator.strategies.base import Strategy
from simulator.strategies.watch import PAUSE_SECONDS, Baseline, StepWatch, WatchSettings, evaluate

__all__ = ["WavesStrategy", "BAKE_BRANCH"]

BAKE_BRANCH = "wave:bake"
"""The branch of the bake's own timer. A region's branch is its name, a region going back ``revert:NAME``; no
region's name has a colon."""

_ROUTING = (ScaleTo, SetWeights, RouteByReplicas, Mirror)


class _State(Enum):
    START = "start"
    WAVE = "wave"
    BAKE = "bake"
    FINISHING = "finishing"
    DONE = "done"


class WavesStrategy:
    """Roll ``each`` out wave by wave (see the module's state table)."""

    kind = "waves"

    def __init__(self, config: WavesConfig, make_strategy: Callable[[WaveStrategyConfig], Strategy]) -> None:
        self.config = config
        self.make_strategy = make_strategy
        self.settings = cast(WatchSettings, config)  # its rules are filled in at validation
        self.state = _State.START
        self.waves: list[list[str]] = []
        self.wave_index = 0
        self.stable_replicas: dict[str, int] = {}
        self.running: dict[str, Strategy] = {}
        """The regions' own strategies still running, by region."""
        self.outcomes: dict[str, str] = {}
        self.reasons: dict[str, str] = {}
        self.baselines: dict[str, Baseline] = {}
        self.reverting: set[str] = set()
        self.pending: set[str] = set()
        self.watch = StepWatch(self.settings)
        self.decided = False
        self.failure_handled: set[str] = set()

    @property
    def wave(self) -> list[str]:
        """The regions of the wave in progress (or being baked)."""
        return self.waves[self.wave_index]

    def step(self, observation: Observation) -> list[Command]:
        """Next commands (see the module's state table)."""
        if self.state is _State.DONE:
            raise RuntimeError("waves strategy stepped after it finished")
        commands: list[Command] = []
        waits: dict[str, BranchWait] = {}
        if self.state is _State.START:
            if not observation.regions:
                raise RuntimeError("a Waves strategy needs a scenario with regions")
            regions = list(observation.regions)
            self.waves = [list(wave) for wave in self.config.waves] if self.config.waves else [[r] for r in regions]
            self.stable_replicas = {region: observation.regions[region].desired(observation.stable)
                                    for region in regions}
            commands += self._start_wave(observation, waits)
        else:
            for branch, result in observation.woken.items():
                self.pending.discard(branch)
                if branch in self.running:
                    commands += self._step_region(branch, observation, result, waits)
                elif branch.startswith("revert:") and branch.removeprefix("revert:") in self.reverting:
                    commands += self._move_back(branch.removeprefix("revert:"), observation)
                elif branch == BAKE_BRANCH and self.state is _State.BAKE:
                    commands += self._bake_look(observation, waits)
        commands += self._progress(observation, waits)
        return self._yield(commands, waits)

    # -- the regions' own strategies ---------------------------------------

    def _start_wave(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        self.state = _State.WAVE
        wave = self.wave
        commands: list[Command] = [Note(kind="wave", detail=f"wave {self.wave_index + 1} of {len(self.waves)} starts: "
                                                            f"{', '.join(wave)}",
                                        data={"wave": self.wave_index + 1, "regions": list(wave)})]
        for region in wave:
            self.running[region] = self.make_strategy(self.config.each)
            commands += self._step_region(region, observation, None, waits)
        return commands

    def _step_region(self, region: str, observation: Observation,
                     result: SmokeTestResult | TestSuiteResult | None, waits: dict[str, BranchWait]) -> list[Command]:
        """Step ``region``'s own strategy on its region's observation; its commands, aimed at the region."""
        own = observation.regions[region]
        if isinstance(result, SmokeTestResult):
            own = dataclasses.replace(own, smoke_test=result)
        elif isinstance(result, TestSuiteResult):
            own = dataclasses.replace(own, test_suite=result)
        strategy = self.running[region]
        commands: list[Command] = []
        for command in strategy.step(own):
            if isinstance(command, _ROUTING):
                if isinstance(command, SetWeights) and command.weights.get(own.candidate, 0.0) >= 100.0:
                    self._freeze_baseline(region, own)  # the switch: the stable version serves nothing from here
                commands.append(dataclasses.replace(command, region=region))
            elif isinstance(command, Note):
                commands.append(Note(kind=command.kind, detail=f"{region}: {command.detail}",
                                     data={**command.data, "region": region}))
            elif isinstance(command, Decide):
                if command.outcome == "promoted":
                    self._freeze_baseline(region, own)  # if its switch was not a weight (a rolling update)
                self.outcomes[region] = command.outcome
                self.reasons[region] = command.reason
                commands.append(Note(kind="region_decision", detail=f"{region}: {command.outcome} - {command.reason}",
                                     data={"region": region, "outcome": command.outcome, "wave": self._wave_of(region),
                                           "after_promotion": command.after_promotion,
                                           **({"analysis": dict(command.analysis)} if command.analysis else {})}))
            elif isinstance(command, Finish):
                del self.running[region]
            elif isinstance(command, (WaitUntilReady, RunSmokeTest)):
                waits[region] = dataclasses.replace(command, region=region)
            elif isinstance(command, (Wait, RunTestSuite)):
                waits[region] = command
            else:
                raise RuntimeError(f"a region's strategy sent {type(command).__name__}; expected no nested waits")
        return commands

    def _freeze_baseline(self, region: str, own: Observation) -> None:
        """Keep ``region``'s stable window just before the candidate takes all its traffic (once)."""
        if region in self.baselines:
            return
        baseline = Baseline()
        baseline.freeze(own, max(self.config.bake, self.config.analysis_window))
        self.baselines[region] = baseline

    def _wave_of(self, region: str) -> int:
        return next(index for index, wave in enumerate(self.waves) if region in wave) + 1

    # -- moving on ---------------------------------------------------------

    def _progress(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        """What the regions' outcomes lead to now: a failure, a bake, the next wave, the promotion, the end."""
        failed = [region for region, outcome in self.outcomes.items()
                  if outcome == "rolled_back" and region not in self.failure_handled]
        if failed and not self.decided:
            region = failed[0]
            self.failure_handled.update(failed)
            wave = ", ".join(self._wave_regions(region))
            return self._fail(observation, waits, f"wave {self._wave_of(region)} ({wave}): {region}: "
                                                  f"{self.reasons[region]}", region)
        self.failure_handled.update(failed)
        if self.state is _State.WAVE and all(self.outcomes.get(region) == "promoted" for region in self.wave):
            if self.wave_index == len(self.waves) - 1:
                return self._promote()
            if self.config.bake > 0:
                return self._start_bake(observation, waits)
            return self._next_wave(observation, waits)
        return []

    def _wave_regions(self, region: str) -> list[str]:
        return self.waves[self._wave_of(region) - 1]

    def _next_wave(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        self.wave_index += 1
        return self._start_wave(observation, waits) + self._progress(observation, waits)

    def _promote(self) -> list[Command]:
        self.state = _State.FINISHING
        self.decided = True
        shown = "; ".join(", ".join(wave) for wave in self.waves)
        bake = f", baked {self.config.bake:g}s between waves" if self.config.bake > 0 and len(self.waves) > 1 else ""
        return [Decide(outcome="promoted", reason=f"all {len(self.waves)} waves promoted ({shown}){bake}",
                       analysis={"waves": len(self.waves), "regions": dict(self.outcomes)})]

    def _fail(self, observation: Observation, waits: dict[str, BranchWait], reason: str,
              region: str | None) -> list[Command]:
        """Decide rolled back, and send back the regions ``onFailure`` names."""
        self.decided = True
        self.state = _State.FINISHING
        wave = self.wave_index
        started = [r for index in range(wave + 1) for r in self.waves[index]]
        going_back = started if self.config.on_failure == "rollback_all" else self.waves[wave]
        # A region whose own strategy rolled back goes back by itself.
        going_back = [r for r in going_back if self.outcomes.get(r) != "rolled_back"]
        kept = [r for r in started if r not in going_back and self.outcomes.get(r) == "promoted"]
        detail = reason
        if self.config.on_failure == "halt" and kept:
            detail += f"; halted: {', '.join(kept)} keep the candidate"
        commands: list[Command] = [Decide(outcome="rolled_back", reason=detail, analysis={
            "wave": wave + 1, "region": region, "on_failure": self.config.on_failure, "regions_back": going_back,
            "regions_kept": kept, "regions": dict(self.outcomes)})]
        for r in going_back:
            self.running.pop(r, None)  # its own strategy stops where it is
            commands += self._go_back(r, observation, waits)
        return commands

    def _go_back(self, region: str, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        """``region`` back to the stable version: its stable fleet ready first, then all its traffic.

        The wait is asked for even when the fleet looks ready: a command of
        this very step (its own strategy's last) may have shrunk it; a
        ready fleet ends the wait at once.
        """
        own = observation.regions[region]
        full = self.stable_replicas[region]
        self.reverting.add(region)
        waits[f"revert:{region}"] = WaitUntilReady(version=own.stable, timeout=self.config.ready_timeout,
                                                   region=region)
        return [ScaleTo(version=own.stable, replicas=max(full, own.desired(own.stable)), region=region)]

    def _move_back(self, region: str, observation: Observation) -> list[Command]:
        self.reverting.discard(region)
        stable, candidate = observation.stable, observation.candidate
        return [SetWeights(weights={stable: 100.0, candidate: 0.0}, region=region),
                ScaleTo(version=candidate, replicas=0, region=region),
                Note(kind="region_back", detail=f"{region}: all traffic back on {stable}",
                     data={"region": region, "version": stable})]

    # -- the bake ----------------------------------------------------------

    def _start_bake(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        self.state = _State.BAKE
        waits[BAKE_BRANCH] = Wait(seconds=self.watch.begin(observation.now, self.config.bake))
        return [Note(kind="bake", detail=f"wave {self.wave_index + 1} ({', '.join(self.wave)}) promoted; baking "
                                         f"{self.config.bake:g}s before the next wave",
                     data={"wave": self.wave_index + 1, "regions": list(self.wave), "bake_s": self.config.bake})]

    def _bake_look(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        """A look during the bake: the in-step rules per region; at its end, every rule over the whole bake."""
        config = self.config
        elapsed = observation.now - self.watch.started_at
        notes: list[Command] = []
        for region in self.wave:
            own = observation.regions[region]
            baseline, _ = self._baseline(region, observation, config.analysis_window)
            result = evaluate(own, self.settings, config.analysis_window, baseline, in_step=True)
            if self.watch.count(result):
                return self._fail(observation, waits, f"bake after wave {self.wave_index + 1}: {region}: "
                                                      f"{self.watch.failures} failed check(s) (failureLimit "
                                                      f"{config.failure_limit}), the last {elapsed:g}s in: "
                                                      f"{result.summary()}", region)
            notes.append(Note(kind="check", detail=f"{region}: bake after wave {self.wave_index + 1}, {elapsed:g}s "
                                                   f"in: {result.verdict}: {result.summary()}",
                              data={"region": region, "wave": self.wave_index + 1, "in_step": True,
                                    "elapsed_s": elapsed, **result.to_dict()}))
        if self.watch.in_step(observation.now):
            waits[BAKE_BRANCH] = Wait(seconds=self.watch.next_look(observation.now))
            return notes
        return notes + self._bake_end(observation, waits)

    def _bake_end(self, observation: Observation, waits: dict[str, BranchWait]) -> list[Command]:
        config = self.config
        label = f"bake after wave {self.wave_index + 1}"
        baselines = {region: self._baseline(region, observation, config.bake) for region in self.wave}
        results = {region: evaluate(observation.regions[region], self.settings, config.bake, baselines[region][0])
                   for region in self.wave}
        for region, result in results.items():
            if result.verdict == "fail":
                return self._fail(observation, waits, f"{label}: {region} ({baselines[region][1]}): "
                                                      f"{result.summary()}", region)
        unsure = [region for region, result in results.items() if result.verdict == "inconclusive"]
        figures = {region: result.to_dict() for region, result in results.items()}
        if unsure:
            why = "; ".join(f"{region}: {results[region].summary()}" for region in unsure)
            action, waited = self.watch.on_inconclusive(observation.now, observation.metrics.label_delay)
            data = {"wave": self.wave_index + 1, "by_region": figures, "verdict": "inconclusive", "waited_s": waited,
                    "action": action}
            if action == "keep_waiting":
                waits[BAKE_BRANCH] = Wait(seconds=config.recheck_interval)
                return [Note(kind="check", detail=f"{label}: inconclusive, waiting for data ({why})", data=data)]
            if action == "pause":
                waits[BAKE_BRANCH] = Wait(seconds=PAUSE_SECONDS)
                return [Note(kind="paused", detail=f"{label} inconclusive after {waited:g}s ({why}); paused as "
                                                   "onInconclusive: pause", data=data)]
            if action == "rollback":
                return self._fail(observation, waits, f"{label}: inconclusive after {waited:g}s ({why})", unsure[0])
            note = f"{label} inconclusive after {waited:g}s ({why}); proceeding as onInconclusive: promote"
        else:
            note = f"{label} passed: " + "; ".join(f"{region}: {result.summary()}"
                                                   for region, result in results.items())
        self.watch.passed()
        return [Note(kind="check", detail=note, data={"wave": self.wave_index + 1, "by_region": figures,
                                                      "verdict": "pass" if not unsure else "inconclusive"}),
                *self._next_wave(observation, waits)]

    def _baseline(self, region: str, observation: Observation, window: float) -> tuple[Baseline, str]:
        """``region``'s baseline for a check over ``window`` seconds, and how it was taken.

        Its own stable window before its switch, where that can judge every
        rule (enough requests, and labels for the accuracy rule); else the
        stable version where it still serves at the same time: the other
        regions, over the same window.
        """
        own = self.baselines.get(region)
        config = self.config
        if own is not None and own.frozen is not None and own.frozen.requests >= config.minimum_requests and (
                config.bake_rules.accuracy_drop is None or own.frozen.labelled >= config.minimum_labels):
            return own, own.describe()
        concurrent = observation.metrics.window(observation.stable, window)
        return (Baseline(frozen=concurrent),
                f"against {observation.stable} in the other regions over the same window")

    # -- yielding ----------------------------------------------------------

    def _live(self, branch: str) -> bool:
        """Whether ``branch`` still matters: a running region's, a region going back, or the bake in progress."""
        if branch == BAKE_BRANCH:
            return self.state is _State.BAKE
        if branch.startswith("revert:"):
            return branch.removeprefix("revert:") in self.reverting
        return branch in self.running

    def _yield(self, commands: list[Command], waits: dict[str, BranchWait]) -> list[Command]:
        """``commands`` and the wait for the next branch, or Finish once everything has ended.

        A branch that no longer matters (its region went back, its strategy
        finished) is not waited for; one the driver still holds lapses.
        """
        waits = {branch: wait for branch, wait in waits.items() if self._live(branch)}
        self.pending.update(waits)
        if self.decided and not self.running and not self.reverting:
            self.state = _State.DONE
            return [*commands, Finish()]
        if not any(self._live(branch) for branch in self.pending):
            raise RuntimeError(f"waves strategy has nothing to wait for in state '{self.state.value}'")
        return [*commands, WaitAny(waits=waits)]
