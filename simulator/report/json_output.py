"""The ``run --json`` document."""

from __future__ import annotations

from typing import Any

from simulator.result import RunResult

__all__ = ["runs_document"]


def runs_document(scenario_name: str, results: list[RunResult]) -> dict[str, Any]:
    """``{"scenario": NAME, "runs": [...]}`` with one record per run."""
    return {"scenario": scenario_name, "runs": [result.to_dict() for result in results]}
