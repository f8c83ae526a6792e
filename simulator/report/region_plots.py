"""The timeline of a run with regions, one column per region.

Each column is a region's own timeline (its requests, latency, load, errors
and accuracy per version), the faults that hit it (those naming it and
those naming no region), its own checks and the rollout's decision, drawn
as :func:`simulator.report.plots.timeline_figure` draws a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from simulator.report.plots import timelines_figure
from simulator.result import RunResult

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

__all__ = ["region_timeline_figure", "plot_region_timelines"]


def _scenario_of(scenario: Scenario | Mapping[str, Any] | None, region: str) -> dict[str, Any] | None:
    """The faults and service block of ``scenario`` that concern ``region``, as a mapping."""
    if scenario is None:
        return None
    if not isinstance(scenario, Mapping):
        scenario = scenario.model_dump(mode="json", by_alias=True)
    faults = [dict(fault) for fault in scenario.get("faults") or [] if fault.get("region") in (None, region)]
    return {"faults": faults, "service": dict(scenario.get("service") or {})}


def region_timeline_figure(result: RunResult, scenario: Scenario | Mapping[str, Any] | None = None) -> Figure:
    """One column per region of ``result`` (a run with regions): its timeline, faults, checks and the decision.

    ``scenario`` (a :class:`~simulator.scenario.model.Scenario` or its dump)
    gives the faults to shade. Raises ``ValueError`` for a run without regions.
    """
    if not result.regions:
        raise ValueError(f"run '{result.strategy}' has no regions; expected a run of a scenario with regions")
    timeline = result.region_timeline
    runs, titles, scenarios = [], [], []
    for name in result.regions:
        mine = np.asarray(timeline.get("region", [])) == name
        own = {key: np.asarray(values)[mine] for key, values in timeline.items() if key != "region"}
        events = [event for event in result.events if event.data.get("region") in (None, name)]
        runs.append(dataclasses.replace(result, timeline=own, events=events))
        titles.append(f"{name}: {result.strategy} (seed {result.seed}): {result.outcome}")
        scenarios.append(_scenario_of(scenario, name))
    return timelines_figure(runs, titles=titles, scenarios=scenarios)


def plot_region_timelines(results: list[RunResult], path: str | Path | None = None,
                          scenario: Scenario | Mapping[str, Any] | None = None) -> list[Figure]:
    """:func:`region_timeline_figure` of each run with regions; saved one after the other as ``path``'s pages.

    With ``path`` (``timeline-regions.png``), the first run's figure is
    saved there and each next run's beside it with its label
    (``timeline-regions-canary.png``).
    """
    figures = [region_timeline_figure(result, scenario) for result in results if result.regions]
    if path is not None:
        target = Path(path)
        for index, (result, figure) in enumerate(zip([r for r in results if r.regions], figures, strict=True)):
            name = target if index == 0 else target.with_name(f"{target.stem}-{_slug(result.strategy)}{target.suffix}")
            figure.savefig(name, dpi=110)
    return figures


def _slug(label: str) -> str:
    return "".join(char if char.isalnum() or char in "-_" else "-" for char in label)
