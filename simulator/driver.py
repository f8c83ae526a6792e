"""Runs one (scenario, strategy, seed): the strategy's commands carried out in the world.

The driver is the only place where a strategy meets simpy. It asks the
strategy for commands, carries out the instant ones, and yields on the last
one (a wait, a readiness wait, a smoke test, a test suite, or the end). Every command is
logged as an event with its simulated time. What happens around a rollout
(operator rollbacks, the drift monitor, retraining) lives in
:mod:`simulator.lifecycle`; reading the finished run out of the world in
:mod:`simulator.world.readout`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Mapping
from typing import Any

import simpy

from simulator.commands import (
    YIELDING_COMMANDS,
    Command,
    Decide,
    Finish,
    LoadTest,
    Mirror,
    Note,
    RouteByReplicas,
    RunSmokeTest,
    RunTestSuite,
    ScaleTo,
    SessionAffinity,
    SetWeights,
    Wait,
    WaitAny,
    WaitUntilReady,
)
from simulator.errors import EngineError, ScenarioError, SimulatorError, StrategyError
from simulator.lifecycle import Retraining, monitor_drift, operate
from simulator.observations import Observation
from simulator.renamed import renamed_keyword
from simulator.result import Decision, RunResult
from simulator.scenario.base import suggest
from simulator.scenario.model import (
    NO_STRATEGY_LABEL,
    WHAT_IF_AT_ONCE,
    WHAT_IF_NEVER,
    YARDSTICK_LABELS,
    AnyStrategyConfig,
    Scenario,
)
from simulator.scenario.strategy_config import ImmediateConfig
from simulator.scenario.world_config import PromoteOperation, RollbackOperation
from simulator.strategies import Strategy, make_strategy
from simulator.strategies.base import state_of
from simulator.world.readout import run_result
from simulator.world.regional_readout import with_regions
from simulator.world.regional_world import RegionalWorld
from simulator.world.waits import BranchWaits, run_smoke_test, run_test_suite, where
from simulator.world.world import World

__all__ = ["run", "run_all", "drive"]

DriftScores = Callable[[], Mapping[str, float]]
"""The latest input drift score per version, as a drift monitor last reported it."""


def _no_drift_scores() -> Mapping[str, float]:
    return {}


def _check_commands(label: str, commands: list[Command]) -> None:
    if not commands:
        raise StrategyError(f"strategy '{label}' returned no commands; expected at least a wait or Finish")
    for command in commands[:-1]:
        if isinstance(command, YIELDING_COMMANDS):
            raise StrategyError(
                f"strategy '{label}' returned {type(command).__name__} before its last command; "
                "expected waits only at the end"
            )
    if not isinstance(commands[-1], YIELDING_COMMANDS):
        raise StrategyError(
            f"strategy '{label}' ended its commands with {type(commands[-1]).__name__}; "
            "expected Wait, WaitUntilReady, RunSmokeTest, RunTestSuite, WaitAny or Finish"
        )


def _step(strategy: Strategy, label: str, observation: Observation) -> list[Command]:
    """The strategy's next commands; anything it raises becomes a :class:`StrategyError`."""
    state = state_of(strategy)
    try:
        return strategy.step(observation)
    except SimulatorError:
        raise
    except Exception as error:
        raise StrategyError(
            f"strategy '{label}' ({strategy.kind}) failed in state '{state}' at t={observation.now:g}s: "
            f"{type(error).__name__}: {error}"
        ) from error


def _known_versions(label: str, command: Command, allowed: tuple[str, ...], regions: tuple[str, ...] = ()) -> None:
    """Every version and region ``command`` names is the rollout's (a WaitAny's branches too)."""
    if isinstance(command, WaitAny):
        for wait in command.waits.values():
            _known_versions(label, wait, allowed, regions)
        return
    named: list[str] = []
    if isinstance(command, (ScaleTo, Mirror, SessionAffinity, LoadTest, WaitUntilReady, RunSmokeTest, RunTestSuite)):
        named = [command.version]
    elif isinstance(command, SetWeights):
        named = list(command.weights)
    for version in named:
        if version not in allowed:
            raise StrategyError(
                f"strategy '{label}' sent {type(command).__name__} for version '{version}'; "
                f"expected one of the rollout's versions: {', '.join(allowed)}"
            )
    region = getattr(command, "region", None)
    if region is not None and region not in regions:
        raise StrategyError(
            f"strategy '{label}' sent {type(command).__name__} for region '{region}'; expected "
            + (f"one of the scenario's regions: {', '.join(regions)}" if regions else "no region (the scenario has "
               "none)")
        )


def _decide(world: World, label: str, command: Decide, decision: Decision, stable: str, candidate: str) -> None:
    """Record the decision in ``decision``, the event log and the registry."""
    revision = command.after_promotion and command.outcome == "rolled_back" and decision.outcome == "promoted"
    if decision.time is not None and not revision:
        raise StrategyError(f"strategy '{label}' decided twice; expected one decision, or a rollback after a "
                            "promotion marked after_promotion")
    if command.after_promotion and not revision:
        raise StrategyError(f"strategy '{label}' sent an after_promotion {command.outcome} without a promotion "
                            "before it; expected a rollback after promotion")
    promoted_at = decision.time
    decision.outcome, decision.reason, decision.time = command.outcome, command.reason, world.env.now
    world.decision_made(world.env.now)
    decision.analysis = dict(command.analysis) if command.analysis else None
    if revision:
        decision.analysis = {**(decision.analysis or {}), "promoted_at_s": promoted_at}
    world.log(command.outcome, command.reason, outcome=command.outcome, candidate=candidate, stable=stable,
              **({"after_promotion": True} if revision else {}))
    if command.outcome == "promoted":
        world.log("registry", world.registry.promote(candidate), action="promote", version=candidate)
    elif revision:
        world.log("registry", world.registry.promote(stable), action="promote", version=stable)
    else:
        world.log("registry", world.registry.reject(candidate), action="reject", version=candidate)


def drive(world: World, strategy: Strategy, label: str, stable: str, candidate: str, decision: Decision,
          finished: simpy.Event, drift_scores: DriftScores = _no_drift_scores,
          baseline: str | None = None) -> Generator[simpy.Event, Any, None]:
    """The command loop of one rollout of ``candidate`` over ``stable`` (a simpy process).

    Fills ``decision`` and triggers ``finished`` when the strategy finishes or
    an operator interrupts it. ``baseline`` names the fresh baseline
    deployment of ``stable`` the strategy may also command, if it runs one.
    """
    allowed = (stable, candidate) if baseline is None else (stable, candidate, baseline)
    env = world.env
    decision.candidate = candidate
    world.log("rollout_start", f"{label} ({strategy.kind}) rolls out {candidate} over {stable}",
              strategy=label, kind=strategy.kind, stable=stable, candidate=candidate)
    observation = world.observe(stable, candidate, drift_scores=drift_scores(), baseline=baseline)
    branches = BranchWaits(world)
    while True:
        commands = _step(strategy, label, observation)
        _check_commands(label, commands)
        smoke = None
        suite = None
        woken = None
        for command in commands:
            _known_versions(label, command, allowed, world.region_names)
            # A region is passed only where a command names one (a world without regions is called as ever).
            if isinstance(command, ScaleTo):
                world.scale_to(command.version, command.replicas, **where(command))
            elif isinstance(command, SetWeights):
                world.set_weights(command.weights, command.sticky, **where(command))
            elif isinstance(command, RouteByReplicas):
                world.route_by_replicas(**where(command))
            elif isinstance(command, Mirror):
                world.set_mirror(command.version, command.percentage, **where(command))
            elif isinstance(command, SessionAffinity):
                world.set_session_affinity(command.version, command.max_age)
            elif isinstance(command, LoadTest):
                world.start_load_test(command.task, command.version, workers=command.workers,
                                      period=command.period, duration=command.duration)
            elif isinstance(command, Note):
                world.log(command.kind, command.detail, **command.data)
            elif isinstance(command, Decide):
                _decide(world, label, command, decision, stable, candidate)
        last = commands[-1]
        if isinstance(last, Finish):
            if decision.time is None:
                raise StrategyError(f"strategy '{label}' finished without deciding; expected a Decide command")
            decision.finished_at = env.now
            world.log("finished", f"rollout finished ({decision.outcome})", outcome=decision.outcome, aborted=False)
            world.release_floors()
            finished.succeed()
            return
        try:
            if isinstance(last, Wait):
                yield env.timeout(last.seconds)
            elif isinstance(last, WaitUntilReady):
                yield world.wait_ready(last.version, **where(last)) | env.timeout(last.timeout)
            elif isinstance(last, RunSmokeTest):
                smoke, duration = run_smoke_test(world, last)
                yield env.timeout(duration)
            elif isinstance(last, RunTestSuite):
                suite, duration = run_test_suite(world, last)
                yield env.timeout(duration)
            elif isinstance(last, WaitAny):
                branches.add(last.waits)
                if not branches.pending:
                    raise StrategyError(f"strategy '{label}' sent WaitAny with no branch to wait on; expected at "
                                        "least one wait")
                yield branches.first()
                woken = branches.woken()
        except simpy.Interrupt as interrupt:
            # An operator took over (a rollback operation): the rollout stops where it is.
            if decision.time is None:
                decision.outcome, decision.reason, decision.time = "rolled_back", str(interrupt.cause), env.now
                world.decision_made(env.now)
                world.log("rolled_back", decision.reason, outcome="rolled_back", candidate=candidate, stable=stable)
                world.log("registry", world.registry.reject(candidate), action="reject", version=candidate)
            decision.finished_at = env.now
            world.log("finished", f"rollout aborted ({decision.outcome})", outcome=decision.outcome, aborted=True)
            world.release_floors()
            finished.succeed()
            return
        observation = world.observe(stable, candidate, smoke, drift_scores(), test_suite=suite, baseline=baseline)
        if woken is not None:
            observation = dataclasses.replace(observation, woken=woken)


def run(scenario: Scenario, label: str | None = None, seed: int | None = None,
        data_plane: str | None = None, operations: list[RollbackOperation] | None = None) -> RunResult:
    """Simulate one rollout of ``scenario`` with strategy ``label`` (default: the first) and ``seed``.

    ``data_plane`` overrides the scenario's (``batch`` or ``per_request``);
    ``operations`` are operator rollbacks in addition to the scenario's.
    With no strategies in the scenario, ``label`` is ``"none"``: steady
    serving of the stable version until the horizon.

    A strategy that raises gives :class:`StrategyError`; anything else that
    fails inside the engine gives :class:`EngineError`.
    """
    seed = scenario.seed if seed is None else seed
    if label is None:
        label = scenario.labels[0]
    yardstick = label in YARDSTICK_LABELS and scenario.candidate is not None
    if label != NO_STRATEGY_LABEL and label not in scenario.strategies and not yardstick:
        raise ScenarioError(
            f"no strategy labelled '{label}'{suggest(label, scenario.labels)}; "
            f"expected one of: {', '.join(scenario.labels)}"
        )
    try:
        return _run(scenario, label, seed, data_plane, operations or [])
    except SimulatorError:
        raise
    except Exception as error:
        raise EngineError(
            f"the simulation of '{scenario.name}' ({label}, seed {seed}) failed: {type(error).__name__}: {error}"
        ) from error


def _config_for(scenario: Scenario, label: str) -> AnyStrategyConfig | None:
    """The strategy config a label runs: the scenario's, the what-if switch at once, or none."""
    if label == WHAT_IF_AT_ONCE:
        return ImmediateConfig()
    if label in (NO_STRATEGY_LABEL, WHAT_IF_NEVER):
        return None
    return scenario.strategies.get(label)


def _serve_prometheus(world: World, strategy: Strategy, stable: str, candidate: str) -> None:
    """Answer the PromQL queries of a strategy from manifests, its Services in front of ``stable`` and ``candidate``.

    A strategy whose analyses query Prometheus names the Services (and
    Deployments) of each role; any other strategy names none and gets no
    Prometheus. A retrained rollout maps its own two versions again.
    """
    services = getattr(strategy, "services", None)
    if not services:
        return
    roles = {"stable": stable, "canary": candidate}
    workloads = getattr(strategy, "workloads", None) or {}
    world.serve_prometheus({roles[role]: names for role, names in services.items()},
                           namespace=getattr(strategy, "namespace", None) or "default",
                           workloads={roles[role]: name for role, name in workloads.items()})


def _take_promotes(strategy: Strategy, promotes: list[PromoteOperation]) -> None:
    """Hand the operator's promotes to the strategy that takes them, inside the watches wrapped around it.

    Argo Rollouts and KServe canaries take promotes; a KServe canary may sit
    inside its test suite gate or its watch after promotion (``inner``).
    """
    taker: object = strategy
    while not hasattr(taker, "take_promotes"):
        inner = getattr(taker, "inner", None)
        if inner is None:
            raise StrategyError(f"strategy {strategy.kind} takes no promotes; expected an Argo Rollout or a KServe "
                                "InferenceService's canary")
        taker = inner
    getattr(taker, "take_promotes")(promotes)  # noqa: B009 - only the strategies that take promotes have it


def _run(scenario: Scenario, label: str, seed: int, data_plane: str | None,
         operations: list[RollbackOperation]) -> RunResult:
    env = simpy.Environment()
    baseline: str | None = None
    config = _config_for(scenario, label)
    if getattr(config, "baseline", "stable") == "fresh" and scenario.candidate is not None:
        scenario, baseline = scenario.with_fresh_baseline()
    world = RegionalWorld(scenario, seed, env, data_plane) if scenario.regions else World(scenario, seed, env,
                                                                                            data_plane)
    decision = Decision()
    kind = "none"
    until_rollout_end = scenario.simulation.until == "rollout_end"
    stop: simpy.Event = env.timeout(scenario.window)
    rollout: simpy.Process | None = None
    finished: simpy.Event | None = None
    monitor = None
    if scenario.monitoring.drift is not None:  # the monitor's statistics are imported only for a run that has one
        from simulator.drift_monitor import DriftMonitor

        monitor = DriftMonitor(world, scenario.monitoring.drift)
    drift_scores = monitor.scores if monitor is not None else _no_drift_scores
    if config is not None and scenario.candidate is not None:
        strategy = make_strategy(config)
        kind = strategy.kind
        promotes = scenario.promotions(label)
        if promotes:  # an operator's promotes of an Argo Rollout or a KServe canary (the scenario checked the label)
            _take_promotes(strategy, promotes)
        _serve_prometheus(world, strategy, scenario.stable, scenario.candidate)
        finished = env.event()
        rollout = env.process(drive(world, strategy, label, scenario.stable, scenario.candidate, decision, finished,
                                    drift_scores, baseline))
        if until_rollout_end:
            stop = stop | finished
    retraining: Retraining | None = None
    if scenario.retraining is not None and label != NO_STRATEGY_LABEL and scenario.candidate is None:
        kind = make_strategy(scenario.strategies[label]).kind
        deploy_with = scenario.strategies[scenario.retraining.deploy_with]

        def start_rollout(stable: str, candidate: str, rollout_decision: Decision,
                          rollout_finished: simpy.Event) -> simpy.Process:
            strategy = make_strategy(deploy_with)
            _serve_prometheus(world, strategy, stable, candidate)
            return env.process(drive(world, strategy, label, stable, candidate, rollout_decision,
                                     rollout_finished, drift_scores))

        finished = env.event()
        retraining = Retraining(world, scenario, start_rollout, decision, finished)
        if scenario.retraining.trigger == "schedule":
            env.process(retraining.schedule())
        if until_rollout_end:
            stop = stop | finished
    if monitor is not None:
        retrain_on_drift = retraining if scenario.retraining is not None and scenario.retraining.trigger == "drift" \
            else None

        def on_drift(now: float) -> None:
            if retrain_on_drift is not None:
                retrain_on_drift.trigger("drift detected")

        env.process(monitor_drift(world, monitor, on_drift))
    def current() -> tuple[simpy.Process | None, simpy.Event | None]:
        # An operator's rollback interrupts whichever rollout is in progress: the scenario's, or a retrained one.
        if retraining is not None:
            return retraining.current, retraining.current_finished
        return rollout, finished

    operations_run = [
        env.process(operate(world, operation, current))
        for operation in [*scenario.operations, *operations] if isinstance(operation, RollbackOperation)
    ]
    if operations_run and until_rollout_end:
        stop = env.timeout(scenario.window) | env.all_of(operations_run + ([finished] if finished else []))
    try:
        env.run(until=stop)
        if decision.time is None:
            decision.reason = "no rollout" if kind == "none" else "window over before a decision"
            paused = [event for event in world.events if event.kind == "paused"]
            if paused:
                decision.reason = (f"paused at {paused[-1].t:g}s, no decision before the window's end: "
                                   f"{paused[-1].detail}")
            if retraining is not None and retraining.produced == 0:
                decision.reason = "no retrained version was rolled out before the horizon"
            world.log("incomplete", decision.reason, outcome="incomplete")
        world.finish()
    finally:
        world.traffic.close()  # a run that fails stops its traffic drawer too
    result = run_result(
        world, label=label, kind=kind, seed=seed, decision=decision,
        drift=monitor.summary(world.drift.first_change) if monitor else None,
        drift_checks=monitor.checks if monitor else [],
    )
    if isinstance(world, RegionalWorld):
        result = with_regions(result, world, decision.candidate or scenario.candidate)
    return result


def run_all(scenario: Scenario, seed: int | None = None, strategies: list[str] | None = None,
            data_plane: str | None = None, *, labels: list[str] | None = None) -> list[RunResult]:
    """One run per strategy label (all, or those in ``strategies``), all with the same seed (common random numbers).

    ``labels`` is the old name of ``strategies`` (deprecated).
    """
    strategies = renamed_keyword("run_all", "strategies", strategies, "labels", labels)
    return [run(scenario, label, seed, data_plane) for label in (strategies or scenario.labels)]
