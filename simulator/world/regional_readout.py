"""Reading a finished run with regions: each region's figures, the blast radius, a timeline per region.

Every user request is recorded in exactly one region's metric store (the
region that served it), so each count here adds up over the regions to the
run's total. The blast radius is the share of the users and of the requests
(that arrived before the decision) that met the candidate, from
:class:`~simulator.world.blast_radius.BlastRadius`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from simulator.result import RunResult
from simulator.world.readout import timeline, version_result
from simulator.world.regional_world import RegionalWorld

__all__ = ["with_regions", "region_figures", "blast_radius"]

REGION_FIGURES = ("requests", "failed_requests", "candidate_requests", "candidate_failed_requests",
                  "wrong_predictions", "excess_failed_requests", "excess_wrong_predictions", "slow_requests",
                  "replica_seconds")
"""The run's figures that each region has too, and that add up over the regions."""


def blast_radius(world: RegionalWorld, candidate: str | None, region: str | None = None) -> dict[str, Any] | None:
    """Who met ``candidate`` before the decision, in ``region`` or everywhere (``None`` without a candidate).

    ``users`` and ``requests`` are shares (0-1); ``decided_at_s`` the time
    the counts stop (``None`` when there was no decision: the whole window).
    """
    if candidate is None:
        return None
    index = None if region is None else world.layout.index(region)
    cutoff = world.blast.cutoff
    return {**world.blast.figures(world.index(candidate), index),
            "decided_at_s": None if math.isinf(cutoff) else round(cutoff, 6)}


def region_figures(world: RegionalWorld, stable: str, candidate: str | None) -> dict[str, dict[str, Any]]:
    """Each region's figures, by name in the order declared (see :data:`REGION_FIGURES`)."""
    figures: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(world.layout.names):
        store = world.region_stores[index]
        totals = store.totals
        versions = {
            version: version_result(store, v)
            for v, version in enumerate(world.versions)
            if totals[v].requests > 0 or version in (stable, candidate)
        }
        mine = versions.get(candidate) if candidate else None
        figures[name] = {
            "share": float(world.layout.shares[index]),
            "stable_replicas": world.layout.replicas[index],
            "requests": sum(v.requests for v in versions.values()),
            "failed_requests": sum(v.failed_requests for v in versions.values()),
            "candidate_requests": mine.requests if mine else 0,
            "candidate_failed_requests": mine.failed_requests if mine else 0,
            "wrong_predictions": sum(v.wrong_predictions for v in versions.values()),
            "excess_failed_requests": sum(v.excess_failed_requests for v in versions.values()),
            "excess_wrong_predictions": sum(v.excess_wrong_predictions for v in versions.values()),
            "slow_requests": None if store.slow_above is None else sum(v.slow_requests or 0
                                                                        for v in versions.values()),
            "replica_seconds": round(world.region_replica_seconds(name), 6),
            "blast_radius": blast_radius(world, candidate, name),
            "versions": {version: result.to_dict() for version, result in versions.items()},
        }
    return figures


def region_timeline(world: RegionalWorld) -> dict[str, np.ndarray]:
    """The timeline of each region (:func:`simulator.world.readout.timeline`), a ``region`` column first."""
    parts = []
    for index, name in enumerate(world.layout.names):
        own = timeline(world, world.region_stores[index])
        if own:
            parts.append({"region": np.full(len(own["t"]), name), **own})
    if not parts:
        return {}
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def with_regions(result: RunResult, world: RegionalWorld, candidate: str | None) -> RunResult:
    """``result`` with its regions' figures, blast radius (of ``candidate``) and timeline per region."""
    return dataclasses.replace(
        result,
        regions=region_figures(world, world.scenario.stable, candidate),
        blast_radius=blast_radius(world, candidate),
        region_timeline=region_timeline(world),
    )
