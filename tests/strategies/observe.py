"""Hand-made observations for driving strategies without a simulation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from simulator.commands import YIELDING_COMMANDS, Command, SetWeights
from simulator.observations import DeploymentStatus, Observation, SmokeTestResult, WindowStats


def window(version: str, *, requests: int = 5000, failed: int = 5, p99: float = 0.1, mean: float = 0.05,
           labelled: int = 1000, correct: int = 920, staleness: float = 0.0) -> WindowStats:
    """A window of ``version``'s metrics; defaults describe a healthy version."""
    return WindowStats(
        version=version, start=0.0, end=300.0, staleness=staleness, requests=requests, failed=failed,
        latency_mean=mean, latency_std=mean, latency_p50=mean * 0.8, latency_p90=p99 * 0.6, latency_p95=p99 * 0.8,
        latency_p99=p99, labelled=labelled, correct=correct,
    )


@dataclass
class FakeMetrics:
    """A metrics reader returning preset windows per version (healthy by default)."""

    windows: dict[str, WindowStats] = field(default_factory=dict)
    scrape_interval: float = 15.0
    label_delay: float = 0.0
    asked: list[tuple[str, float]] = field(default_factory=list)

    def window(self, version: str, duration: float, quantiles: bool = True) -> WindowStats:
        self.asked.append((version, duration))
        return self.windows.get(version, window(version))

    def window_since(self, version: str, since: float, quantiles: bool = True) -> WindowStats:
        return self.window(version, since, quantiles)

    def series(self, version: str, duration: float):
        raise AssertionError("the threshold judge does not read series")

    def users_since(self, version: str, since: float) -> int:
        return self.windows.get(version, window(version)).requests // 3


@dataclass
class World:
    """A tiny stand-in for the world: replica counts follow ScaleTo at once (ready or not)."""

    now: float = 0.0
    stable: str = "v1"
    candidate: str = "v2"
    desired: dict[str, int] = field(default_factory=lambda: {"v1": 6, "v2": 0})
    ready: dict[str, int] = field(default_factory=lambda: {"v1": 6, "v2": 0})
    weights: dict[str, float] = field(default_factory=lambda: {"v1": 100.0})
    metrics: FakeMetrics = field(default_factory=FakeMetrics)
    smoke: SmokeTestResult | None = None
    drift_scores: dict[str, float] = field(default_factory=lambda: {"v1": 0.05, "v2": 0.05})

    def observe(self) -> Observation:
        return Observation(
            now=self.now, stable=self.stable, candidate=self.candidate,
            deployments={
                v: DeploymentStatus(version=v, desired=self.desired[v], ready=self.ready[v], starting=0, crashed=0)
                for v in (self.stable, self.candidate)
            },
            weights=dict(self.weights), metrics=self.metrics, smoke_test=self.smoke,
            drift_scores=dict(self.drift_scores),
        )

    def apply(self, commands: list[Command], *, replicas_become_ready: bool = True) -> None:
        """Carry out instant commands like the driver would (replicas ready immediately by default)."""
        check_commands(commands)
        for command in commands:
            name = type(command).__name__
            if name == "ScaleTo":
                self.desired[command.version] = command.replicas
                if replicas_become_ready or command.replicas < self.ready[command.version]:
                    self.ready[command.version] = command.replicas
            elif name == "SetWeights":
                self.weights = {v: w for v, w in command.weights.items() if w > 0}
            elif name == "RouteByReplicas":
                self.weights = {}
            elif name == "Wait":
                self.now += command.seconds


def check_commands(commands: list[Command]) -> None:
    """The driver's rules: only the last command yields; weights sum to 100."""
    assert commands, "no commands"
    assert all(not isinstance(c, YIELDING_COMMANDS) for c in commands[:-1]), commands
    assert isinstance(commands[-1], YIELDING_COMMANDS), commands
    for command in commands:
        if isinstance(command, SetWeights):
            assert abs(sum(command.weights.values()) - 100.0) < 1e-9


def kinds(commands: list[Command]) -> list[str]:
    return [type(command).__name__ for command in commands]


def first(commands: list[Command], kind: str):
    return next(command for command in commands if type(command).__name__ == kind)


def with_window(world: World, version: str, **figures) -> None:
    world.metrics.windows[version] = window(version, **figures)


__all__ = ["World", "FakeMetrics", "window", "kinds", "first", "with_window", "check_commands", "replace"]


def drive(strategy, world: World, limit: int = 200) -> list[list[Command]]:
    """Step ``strategy`` against ``world`` until it finishes; every command list, in order."""
    history = []
    for _ in range(limit):
        commands = strategy.step(world.observe())
        world.apply(commands)
        history.append(commands)
        if kinds(commands)[-1] == "Finish":
            return history
    raise AssertionError("strategy did not finish")
