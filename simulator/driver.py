"""Runs one (scenario, strategy, seed): the strategy's commands carried out in the world.

The driver is the only place where a strategy meets simpy. It asks the
strategy for commands, carries out the instant ones, and yields on the last
one (a wait, a readiness wait, a smoke test, or the end). Every command is
logged as an event with its simulated time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.commands import (
    YIELDING_COMMANDS,
    Command,
    Decide,
    Finish,
    Mirror,
    Note,
    RouteByReplicas,
    RunSmokeTest,
    ScaleTo,
    SetWeights,
    Wait,
    WaitUntilReady,
)
from simulator.drift_monitor import DriftMonitor
from simulator.errors import ScenarioError, StrategyError
from simulator.result import RunResult, version_result
from simulator.scenario.base import suggest
from simulator.scenario.model import NO_STRATEGY_LABEL, Scenario
from simulator.scenario.world_config import RollbackOperation
from simulator.strategies import Strategy, make_strategy
from simulator.world.world import World

__all__ = ["run", "run_all"]


@dataclass
class _Decision:
    outcome: str = "incomplete"
    reason: str = ""
    time: float | None = None
    finished_at: float | None = None
    analysis: dict | None = None
    candidate: str | None = None


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
            "expected Wait, WaitUntilReady, RunSmokeTest or Finish"
        )


def _drive(world: World, strategy: Strategy, label: str, stable: str, candidate: str,
           decision: _Decision, finished: simpy.Event):
    env = world.env
    decision.candidate = candidate
    world.log("rollout_start", f"{label} ({strategy.kind}) rolls out {candidate} over {stable}")
    observation = world.observe(stable, candidate)
    while True:
        commands = strategy.step(observation)
        _check_commands(label, commands)
        smoke = None
        for command in commands:
            if isinstance(command, ScaleTo):
                world.scale_to(command.version, command.replicas)
            elif isinstance(command, SetWeights):
                world.set_weights(command.weights, command.sticky)
            elif isinstance(command, RouteByReplicas):
                world.route_by_replicas()
            elif isinstance(command, Mirror):
                world.set_mirror(command.version, command.percentage)
            elif isinstance(command, Note):
                world.log(command.kind, command.detail)
            elif isinstance(command, Decide):
                if decision.time is not None:
                    raise StrategyError(f"strategy '{label}' decided twice")
                decision.outcome, decision.reason, decision.time = command.outcome, command.reason, env.now
                decision.analysis = dict(command.analysis) if command.analysis else None
                world.log(command.outcome, command.reason)
                if command.outcome == "promoted":
                    world.log("registry", world.registry.promote(candidate))
                else:
                    world.log("registry", world.registry.reject(candidate))
        last = commands[-1]
        if isinstance(last, Finish):
            if decision.time is None:
                raise StrategyError(f"strategy '{label}' finished without deciding; expected a Decide command")
            decision.finished_at = env.now
            world.log("finished", f"rollout finished ({decision.outcome})")
            finished.succeed()
            return
        try:
            if isinstance(last, Wait):
                yield env.timeout(last.seconds)
            elif isinstance(last, WaitUntilReady):
                yield world.wait_ready(last.version) | env.timeout(last.timeout)
            elif isinstance(last, RunSmokeTest):
                smoke, duration = world.smoke_test(last.version, last.samples)
                world.log(
                    "smoke_test",
                    f"{last.samples} samples to {last.version}: {smoke.failed} failed, "
                    f"{smoke.correct}/{smoke.labelled} correct",
                )
                yield env.timeout(duration)
        except simpy.Interrupt as interrupt:
            # An operator took over (a rollback operation): the rollout stops where it is.
            if decision.time is None:
                decision.outcome, decision.reason, decision.time = "rolled_back", str(interrupt.cause), env.now
                world.log("rolled_back", decision.reason)
                world.log("registry", world.registry.reject(candidate))
            decision.finished_at = env.now
            world.log("finished", f"rollout aborted ({decision.outcome})")
            finished.succeed()
            return
        observation = world.observe(stable, candidate, smoke)


def _operate(world: World, operation: RollbackOperation, rollout: simpy.Process | None,
             finished: simpy.Event | None):
    """Carry out an operator's rollback at its time (seed 000's ``RollbackModelAsync``)."""
    env = world.env
    yield env.timeout(operation.at)
    registry = world.registry
    target = operation.rollback_to
    if target == "previous":
        previous = registry.previous_production()
        if previous is None:
            world.log("operation", "rollback to the previous production version skipped: there is none")
            return
        target = previous
    world.log("operation", f"rollback to {target} requested (production: {registry.production})")
    if rollout is not None and finished is not None and not finished.triggered:
        rollout.interrupt(f"operator rollback to {target}")
        yield env.timeout(0)
    replicas = max(world.scenario.service.replicas, world.desired[world.index(registry.production)])
    world.scale_to(target, replicas)
    yield world.wait_ready(target) | env.timeout(operation.ready_timeout)
    if world.deployment(target).ready < replicas:
        world.log("operation", f"rollback to {target} failed: replicas not ready within {operation.ready_timeout:g}s")
        return
    world.set_weights({target: 100.0})
    for version in world.versions:
        if version != target and world.desired[world.index(version)] > 0:
            world.scale_to(version, 0)
    world.log("registry", registry.promote(target))
    world.log("operation", f"rolled back to {target}")


def _monitor(world: World, monitor: DriftMonitor, on_drift):
    """Check for drift every window; call ``on_drift(time)`` when it fires."""
    env = world.env
    while True:
        yield env.timeout(monitor.config.window)
        world.advance()
        report = monitor.check(env.now)
        if report is not None and report.detected:
            on_drift(env.now)


class _Retraining:
    """Retrains on drift (or on schedule) and rolls each new version out with the named strategy."""

    def __init__(self, world: World, scenario: Scenario, label: str, decision: _Decision,
                 finished: simpy.Event) -> None:
        assert scenario.retraining is not None
        self.world, self.scenario, self.label = world, scenario, label
        self.config = scenario.retraining
        self.names = scenario.retrained_names()
        self.decision, self.finished = decision, finished  # of the first retrained rollout
        self.produced = 0
        self.busy = False

    def trigger(self, now: float, why: str) -> None:
        if self.busy or self.produced >= len(self.names):
            return
        self.busy = True
        self.world.env.process(self._retrain(why))

    def _retrain(self, why: str):
        world = self.world
        version = self.names[self.produced]
        world.log("retraining", f"started ({why}); {version} ready in {self.config.duration:g}s")
        yield world.env.timeout(self.config.duration)
        self.produced += 1
        world.log("registry", world.registry.register(version))
        first = self.produced == 1
        decision = self.decision if first else _Decision()
        finished = self.finished if first else world.env.event()
        strategy = make_strategy(self.scenario.strategies[self.config.deploy_with])
        rollout = world.env.process(
            _drive(world, strategy, self.label, world.registry.production, version, decision, finished)
        )
        yield rollout
        self.busy = False

    def schedule(self):
        assert self.config.every is not None
        while True:
            yield self.world.env.timeout(self.config.every)
            self.trigger(self.world.env.now, "scheduled")


def run(scenario: Scenario, label: str | None = None, seed: int | None = None,
        data_plane: str | None = None, operations: list[RollbackOperation] | None = None) -> RunResult:
    """Simulate one rollout of ``scenario`` with strategy ``label`` (default: the first) and ``seed``.

    ``data_plane`` overrides the scenario's (``batch`` or ``per_request``);
    ``operations`` are operator rollbacks in addition to the scenario's.
    With no strategies in the scenario, ``label`` is ``"none"``: steady
    serving of the stable version until the horizon.
    """
    seed = scenario.seed if seed is None else seed
    if label is None:
        label = scenario.labels[0]
    if label != NO_STRATEGY_LABEL and label not in scenario.strategies:
        raise ScenarioError(
            f"no strategy labelled '{label}'{suggest(label, scenario.labels)}; "
            f"expected one of: {', '.join(scenario.labels)}"
        )
    env = simpy.Environment()
    world = World(scenario, seed, env, data_plane)
    decision = _Decision()
    kind = "none"
    stop: simpy.Event = env.timeout(scenario.horizon)
    rollout: simpy.Process | None = None
    finished: simpy.Event | None = None
    if label != NO_STRATEGY_LABEL and scenario.candidate is not None:
        config = scenario.strategies[label]
        strategy = make_strategy(config)
        kind = strategy.kind
        assert scenario.candidate is not None
        finished = env.event()
        rollout = env.process(_drive(world, strategy, label, scenario.stable, scenario.candidate, decision, finished))
        if scenario.simulation.until == "rollout_end":
            stop = stop | finished
    monitor = None
    if scenario.monitoring.drift is not None:
        monitor = DriftMonitor(world, scenario.monitoring.drift)
    if scenario.retraining is not None and label != NO_STRATEGY_LABEL and scenario.candidate is None:
        kind = make_strategy(scenario.strategies[label]).kind
        finished = env.event()
        retraining = _Retraining(world, scenario, label, decision, finished)
        if scenario.retraining.trigger == "schedule":
            env.process(retraining.schedule())
        if scenario.simulation.until == "rollout_end":
            stop = stop | finished
    else:
        retraining = None
    if monitor is not None:
        on_drift = (lambda now: retraining.trigger(now, "drift detected")) if (
            retraining is not None and scenario.retraining is not None and scenario.retraining.trigger == "drift"
        ) else (lambda now: None)
        env.process(_monitor(world, monitor, on_drift))
    operations_run = [
        env.process(_operate(world, operation, rollout, finished))
        for operation in [*scenario.operations, *(operations or [])]
    ]
    if operations_run and scenario.simulation.until == "rollout_end":
        stop = env.timeout(scenario.horizon) | env.all_of(operations_run + ([finished] if finished else []))
    env.run(until=stop)
    if decision.time is None:
        decision.reason = "no rollout" if kind == "none" else "horizon reached before a decision"
        if retraining is not None and retraining.produced == 0:
            decision.reason = "no retrained version was rolled out before the horizon"
        world.log("incomplete", decision.reason)
    world.finish()
    return _result(world, scenario, label, kind, seed, decision, monitor)


def _result(world: World, scenario: Scenario, label: str, kind: str, seed: int, decision: _Decision,
            monitor: DriftMonitor | None) -> RunResult:
    store = world.store
    totals = store.totals
    rolled_out = decision.candidate or scenario.candidate
    versions = {
        name: version_result(store, index)
        for index, name in enumerate(world.versions)
        if totals[index].requests > 0 or name in (scenario.stable, rolled_out)
    }
    candidate = versions.get(rolled_out) if rolled_out else None
    return RunResult(
        scenario=scenario.name,
        strategy=label,
        kind=kind,
        seed=seed,
        outcome=decision.outcome,
        reason=decision.reason,
        decision_time_s=None if decision.time is None else round(float(decision.time), 6),
        duration_s=round(float(world.env.now), 6),
        requests=sum(v.requests for v in versions.values()),
        failed_requests=sum(v.failed_requests for v in versions.values()),
        candidate_requests=candidate.requests if candidate else 0,
        candidate_failed_requests=candidate.failed_requests if candidate else 0,
        wrong_predictions=sum(v.wrong_predictions for v in versions.values()),
        replica_seconds=round(world.replica_seconds(), 6),
        versions=versions,
        events=list(world.events),
        data_plane=type(world.data_plane).__name__,
        analysis=decision.analysis,
        shadow=_shadow_figures(world),
        registry=world.registry.snapshot(),
        drift=monitor.summary(world.drift.first_change) if monitor else None,
        drift_checks=monitor.checks if monitor else [],
        slo_violation_s=_slo_violation_seconds(world),
        timeline=_timeline(world),
    )


def _slo_violation_seconds(world: World) -> float | None:
    """Seconds of scrape intervals in which user traffic as a whole missed an objective."""
    slo = world.scenario.slo
    if slo is None:
        return None
    store = world.store
    bins = int(math.ceil(world.env.now / store.bin_seconds))
    requests = store.requests[:bins].sum(axis=1)
    violated = np.zeros(bins, dtype=bool)
    if slo.error_rate is not None:
        failed = store.failed[:bins].sum(axis=1)
        violated |= (requests > 0) & (failed > slo.error_rate * requests)
    if slo.latency_p99 is not None:
        histograms = store.histogram[:bins].sum(axis=1)
        p99 = np.array([store.histogram_quantile(h, 0.99) if h.any() else 0.0 for h in histograms])
        violated |= p99 > slo.latency_p99
    return float(violated.sum() * store.bin_seconds)


def _shadow_figures(world: World) -> dict[str, dict[str, object]]:
    """Mirrored traffic per version that served any: never seen by users."""
    counts = world.store.shadow_counts
    figures: dict[str, dict[str, object]] = {}
    for index, name in enumerate(world.versions):
        if counts["requests"][index] == 0:
            continue
        compared = int(counts["compared"][index])
        disagreements = int(counts["disagreements"][index])
        figures[name] = {
            "requests": int(counts["requests"][index]),
            "failed_requests": int(counts["failed_requests"][index]),
            "compared": compared,
            "disagreements": disagreements,
            "divergence": disagreements / compared if compared else None,
        }
    return figures


def _timeline(world: World) -> dict[str, np.ndarray]:
    store = world.store
    bins = int(math.ceil(world.env.now / store.bin_seconds))
    rows = []
    for index, name in enumerate(world.versions):
        requests = store.requests[:bins, index]
        if requests.sum() == 0:
            continue
        histogram = store.histogram[:bins, index]
        p50 = np.array([store.histogram_quantile(h, 0.5) if h.sum() else np.nan for h in histogram])
        p99 = np.array([store.histogram_quantile(h, 0.99) if h.sum() else np.nan for h in histogram])
        labelled = store.labelled[:bins, index]
        with np.errstate(invalid="ignore", divide="ignore"):
            rows.append({
                "t": np.arange(bins) * store.bin_seconds,
                "version": np.full(bins, name),
                "requests": requests,
                "failed": store.failed[:bins, index],
                "error_rate": np.where(requests > 0, store.failed[:bins, index] / np.maximum(requests, 1), np.nan),
                "latency_p50_s": p50,
                "latency_p99_s": p99,
                "labelled": labelled,
                "measured_accuracy": np.where(
                    labelled > 0, store.labelled_correct[:bins, index] / np.maximum(labelled, 1), np.nan
                ),
                "true_accuracy": np.where(
                    store.answered[:bins, index] > 0,
                    store.true_accuracy_sum[:bins, index] / np.maximum(store.answered[:bins, index], 1), np.nan
                ),
            })
    if not rows:
        return {}
    return {key: np.concatenate([row[key] for row in rows]) for key in rows[0]}


def run_all(scenario: Scenario, seed: int | None = None, labels: list[str] | None = None,
            data_plane: str | None = None) -> list[RunResult]:
    """One run per strategy label, all with the same seed (common random numbers)."""
    return [run(scenario, label, seed, data_plane) for label in (labels or scenario.labels)]
