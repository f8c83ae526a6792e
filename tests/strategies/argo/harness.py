"""A hand-driven cluster and a scripted Prometheus for running the Argo canary without a simulation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.analysis.argo import AnalysisRunSpec, build_analysis_run
from simulator.commands import (
    YIELDING_COMMANDS,
    Command,
    Decide,
    Finish,
    Note,
    RouteByReplicas,
    ScaleTo,
    SetWeights,
    Wait,
    WaitUntilReady,
)
from simulator.observations import DeploymentStatus, Observation, QueryFailure
from simulator.strategies.watch import PAUSE_SECONDS
from tests.analysis.argo.manifests import metric, template
from tests.strategies.observe import FakeMetrics

Answer = float | list[float] | QueryFailure


def prometheus_metric(name: str, query: str, **fields: Any) -> dict[str, Any]:
    """A metric document querying ``query``; ``fields`` as Argo spells them (``successCondition``)."""
    return metric(name, provider={"prometheus": {"address": "http://prometheus:9090", "query": query}}, **fields)


def run_spec(*metrics: dict[str, Any], name: str = "analysis") -> AnalysisRunSpec:
    """The AnalysisRun of one template holding ``metrics``."""
    return build_analysis_run([template(*metrics, name=name)])


@dataclass
class ScriptedPrometheus:
    """Answers each query from its script: a list consumed in order (the last answer repeats) or a function of time."""

    script: Mapping[str, list[Answer] | Callable[[float], Answer]]
    asked: list[tuple[float, str]] = field(default_factory=list)
    _used: dict[str, int] = field(default_factory=dict)

    def at(self, now: float) -> _Reader:
        return _Reader(self, now)

    def answer(self, query: str, now: float) -> Answer:
        self.asked.append((now, query))
        scripted = self.script[query]
        if callable(scripted):
            return scripted(now)
        used = self._used.get(query, 0)
        self._used[query] = used + 1
        return scripted[min(used, len(scripted) - 1)]

    def times(self, query: str) -> list[float]:
        """When ``query`` was asked, seconds."""
        return [now for now, asked in self.asked if asked == query]


@dataclass
class _Reader:
    owner: ScriptedPrometheus
    now: float

    def query(self, query: str) -> Answer:
        return self.owner.answer(query, self.now)


@dataclass
class Snapshot:
    """One step of the strategy: when it was asked (s), what it said, and the cluster after its wait.

    ``now`` is the time after the wait; ``desired`` and ``ready`` pods and
    the router's ``weights`` (``None``: by ready pods) as of then.
    """

    at: float
    now: float
    desired: dict[str, int]
    ready: dict[str, int]
    weights: dict[str, float] | None
    commands: list[Command]


@dataclass
class Cluster:
    """Two versions' pods and a router, driven by the strategy's commands.

    New pods become ready ``startup_s`` seconds after they are asked for;
    a scale-down removes pods at once (those still starting first).
    """

    replicas: int = 6
    startup_s: float = 0.0
    stable: str = "v1"
    candidate: str = "v2"
    now: float = 0.0
    prometheus: ScriptedPrometheus | None = None
    jobs: Any = None
    """What the observation's ``jobs`` runner is (``None``: none)."""
    weights: dict[str, float] | None = None
    desired: dict[str, int] = field(default_factory=dict)
    ready: dict[str, int] = field(default_factory=dict)
    starting: dict[str, list[float]] = field(default_factory=dict)
    history: list[Snapshot] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.desired = self.desired or {self.stable: self.replicas, self.candidate: 0}
        self.ready = self.ready or dict(self.desired)
        self.starting = {version: [] for version in self.desired}
        self.weights = self.weights or {self.stable: 100.0}

    def observe(self) -> Observation:
        reader = self.prometheus.at(self.now) if self.prometheus is not None else None
        return Observation(
            now=self.now, stable=self.stable, candidate=self.candidate,
            deployments={version: DeploymentStatus(version=version, desired=self.desired[version],
                                                   ready=self.ready[version], starting=len(self.starting[version]),
                                                   crashed=0) for version in self.desired},
            weights=None if self.weights is None else dict(self.weights), metrics=FakeMetrics(), prometheus=reader,
            jobs=self.jobs,
        )

    def apply(self, commands: list[Command]) -> None:
        assert commands and isinstance(commands[-1], YIELDING_COMMANDS), commands
        assert not any(isinstance(command, YIELDING_COMMANDS) for command in commands[:-1]), commands
        for command in commands:
            if isinstance(command, ScaleTo):
                self._scale(command.version, command.replicas)
            elif isinstance(command, SetWeights):
                assert abs(sum(command.weights.values()) - 100.0) < 1e-9
                self.weights = {version: weight for version, weight in command.weights.items() if weight > 0}
            elif isinstance(command, RouteByReplicas):
                self.weights = None
        last = commands[-1]
        if isinstance(last, Wait):
            self._advance(self.now + last.seconds)
        elif isinstance(last, WaitUntilReady):
            pending = self.starting[last.version]
            ready_at = max(pending) if pending else self.now
            self._advance(min(ready_at, self.now + last.timeout))

    def _scale(self, version: str, replicas: int) -> None:
        self.desired[version] = replicas
        pending = self.starting[version]
        while self.ready[version] + len(pending) > replicas and pending:
            pending.pop()
        self.ready[version] = min(self.ready[version], replicas)
        missing = replicas - self.ready[version] - len(pending)
        pending.extend([self.now + self.startup_s] * missing)
        self._advance(self.now)

    def _advance(self, until: float) -> None:
        self.now = until
        for version, pending in self.starting.items():
            done = [time for time in pending if time <= until + 1e-9]
            self.ready[version] += len(done)
            pending[:] = [time for time in pending if time > until + 1e-9]

    def share(self, version: str) -> float:
        """``version``'s share of the traffic, percent: the router's weight, or its share of the ready pods."""
        if self.weights is not None:
            return self.weights.get(version, 0.0)
        total = sum(self.ready.values())
        return 100.0 * self.ready[version] / total if total else 0.0


def drive(strategy: Any, cluster: Cluster, *, until: float = 86_400.0, limit: int = 2_000) -> list[Snapshot]:
    """Step ``strategy`` until it finishes, waits past any horizon, or ``until`` seconds pass."""
    for _ in range(limit):
        asked_at = cluster.now
        commands = strategy.step(cluster.observe())
        cluster.apply(commands)
        cluster.history.append(Snapshot(asked_at, cluster.now, dict(cluster.desired), dict(cluster.ready),
                                        None if cluster.weights is None else dict(cluster.weights), commands))
        last = commands[-1]
        if isinstance(last, Finish) or cluster.now >= until:
            return cluster.history
        if isinstance(last, Wait) and last.seconds >= PAUSE_SECONDS:  # paused for good
            return cluster.history
    raise AssertionError("the strategy neither finished nor settled")


def commands_of(history: list[Snapshot], kind: type) -> list[Any]:
    return [command for snapshot in history for command in snapshot.commands if isinstance(command, kind)]


def decision(history: list[Snapshot]) -> Decide | None:
    decisions = commands_of(history, Decide)
    assert len(decisions) <= 1, decisions
    return decisions[0] if decisions else None


def notes(history: list[Snapshot], kind: str) -> list[Note]:
    return [note for note in commands_of(history, Note) if note.kind == kind]


def finished(history: list[Snapshot]) -> bool:
    return isinstance(history[-1].commands[-1], Finish)
