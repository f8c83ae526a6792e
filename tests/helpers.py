"""Scenario builders shared by the tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from simulator.scenario import Scenario, parse_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def scenario_data(name: str) -> dict[str, Any]:
    """The raw mapping of a bundled scenario file."""
    return yaml.safe_load((SCENARIOS / name).read_text())


def one_version_queue(
    *,
    arrival_rate: float,
    mean_service: float,
    replicas: int,
    concurrency: int,
    horizon: float,
    balancer: str = "random",
    latency: dict[str, Any] | None = None,
    timeout: float = 3600.0,
    data_plane: str = "batch",
) -> Scenario:
    """Steady serving of one version: a bank of M/G/c queues (no strategy)."""
    return parse_scenario({
        "name": "queue",
        "horizon": horizon,
        "traffic": {"rate": arrival_rate},
        "service": {"replicas": replicas, "concurrency": concurrency, "timeout": timeout, "balancer": balancer},
        "versions": {"v1": {"accuracy": 0.9, "latency": latency or {"dist": "exponential", "mean": mean_service},
                            "error_rate": 0.0, "startup": 0}},
        "stable": "v1",
        "monitoring": {"scrape_interval": 60},
        "simulation": {"data_plane": data_plane, "until": "horizon"},
    }, written=False)  # durations computed in seconds


def with_changes(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with top-level keys replaced."""
    result = copy.deepcopy(data)
    result.update(changes)
    return result


def until_rollout_end(scenario: Scenario) -> Scenario:
    """``scenario`` stopping each run when its rollout has finished: for tests about decisions, not windows."""
    simulation = scenario.simulation.model_copy(update={"until": "rollout_end"})
    return scenario.model_copy(update={"simulation": simulation})
