"""A scenario to export and run back: one stable version, candidates good and bad, a canary and a blue-green.

The candidates differ from the stable version in one thing each, by far
more than the rules allow, so that the strategies' verdicts are not a
matter of chance and both readings must reach the same one:

* ``good``: the same as the stable version;
* ``errors``: 5 % errors against 0.2 % (``errorRateIncrease: 0.01``);
* ``slow``: twice the latency (``latencyIncrease: 1.5``);
* ``inaccurate``: accuracy 0.80 against 0.90 (``accuracyDrop: 0.05``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from simulator import run
from simulator.export import export_manifests
from simulator.result import RunResult
from simulator.scenario import parse_scenario

__all__ = ["STABLE", "CANDIDATES", "base_data", "exported_pair", "run_pair", "EXPORTED"]

STABLE: dict[str, Any] = {"accuracy": 0.9, "latency": {"p50": "40ms", "p99": "160ms"}, "error_rate": 0.002,
                          "startup": "30s"}

CANDIDATES: dict[str, dict[str, Any]] = {
    "good": dict(STABLE),
    "errors": {**STABLE, "error_rate": 0.05},
    "slow": {**STABLE, "latency": {"p50": "80ms", "p99": "320ms"}},
    "inaccurate": {**STABLE, "accuracy": 0.8},
}
"""The candidate versions, by what is wrong with them."""

EXPORTED = "exported"
"""The label of the strategy read back from the exported manifests."""


def base_data(candidate: str) -> dict[str, Any]:
    """The scenario (as written) with ``candidate`` as the candidate version, each run ending with its rollout."""
    return {
        "name": "export-read-back",
        "seed": 11,
        "horizon": "1h",
        "traffic": {"rate": "100/s"},
        "service": {"replicas": 4, "concurrency": 4, "timeout": "2s"},
        "versions": {"v1": dict(STABLE), "v2": copy.deepcopy(CANDIDATES[candidate])},
        "stable": "v1",
        "candidate": "v2",
        "monitoring": {"scrape_interval": "15s", "labels": {"delay": "30s", "fraction": 0.5}},
        "strategies": {
            "canary": {
                "initialPercentage": 10, "incrementStep": 20, "monitoringDuration": "3m",
                "rollbackThresholds": {"errorRateIncrease": 0.01, "latencyIncrease": 1.5, "accuracyDrop": 0.05},
            },
            "blue_green": {
                "smokeTestSamples": 0, "monitoringDuration": "3m", "keepBlueDuration": "1m",
                "rollbackThresholds": {"errorRateIncrease": 0.01, "latencyIncrease": 1.5, "accuracyDrop": 0.05},
            },
        },
        "simulation": {"until": "rollout_end"},
    }


def exported_pair(directory: Path, data: dict[str, Any], label: str, target: str) -> dict[str, Any]:
    """``data`` with two strategies: ``label`` as written, and ``exported`` read from its manifests for ``target``."""
    scenario = parse_scenario(data, source=str(directory / "scenario.yaml"))
    manifests = directory / f"{label}-{target}.yaml"
    manifests.write_text(export_manifests(scenario, label, target))  # type: ignore[arg-type]
    pair = copy.deepcopy(data)
    pair["strategies"] = {label: data["strategies"][label], EXPORTED: {"from": str(manifests)}}
    return pair


def run_pair(directory: Path, data: dict[str, Any], label: str, seed: int) -> tuple[RunResult, RunResult]:
    """The run of ``label`` and of its exported reading on ``seed`` (common random numbers: the same requests)."""
    scenario = parse_scenario(data, source=str(directory / "scenario.yaml"))
    return run(scenario, label, seed), run(scenario, EXPORTED, seed)
