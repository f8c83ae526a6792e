"""Fault schedules: what goes wrong, when, and for which version.

Time-window faults (latency factor, extra errors, dependency outage, metrics
outage, traffic spike) are applied per request by arrival time, so they need
no slice boundary. Crashes are control events the driver schedules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.scenario.world_config import (
    CrashFault,
    DependencyOutageFault,
    ErrorRateFault,
    LatencyFault,
    MetricsOutageFault,
    TrafficSpikeFault,
)

__all__ = ["FaultSchedule", "Window"]

INFINITY = float("inf")


@dataclass(frozen=True, slots=True)
class Window:
    """A fault active on ``[start, end)`` seconds with a ``value`` (factor or error rate)."""

    start: float
    end: float
    value: float


class FaultSchedule:
    """The scenario's faults, indexed for fast per-request lookups.

    ``region`` keeps the faults of one region of a scenario with regions:
    those naming it and those naming none. Without it, only the faults that
    name no region (all of them in a scenario without regions).
    """

    def __init__(self, faults: list, versions: list[str], region: str | None = None) -> None:
        self.versions = versions
        self.latency: dict[int, list[Window]] = {}
        self.errors: dict[int, list[Window]] = {}
        self.dependency: list[Window] = []
        self.metrics_outages: list[tuple[float, float]] = []
        self.crashes: list[CrashFault] = []
        self.spikes: list[TrafficSpikeFault] = []
        for fault in faults:
            if getattr(fault, "region", None) not in (None, region):
                continue
            if isinstance(fault, LatencyFault):
                end = fault.at + fault.duration if fault.duration else INFINITY
                self.latency.setdefault(versions.index(fault.version), []).append(Window(fault.at, end, fault.factor))
            elif isinstance(fault, ErrorRateFault):
                end = fault.at + fault.duration if fault.duration else INFINITY
                self.errors.setdefault(versions.index(fault.version), []).append(
                    Window(fault.at, end, fault.error_rate)
                )
            elif isinstance(fault, DependencyOutageFault):
                self.dependency.append(Window(fault.at, fault.at + fault.duration, fault.error_rate))
            elif isinstance(fault, MetricsOutageFault):
                self.metrics_outages.append((fault.at, fault.at + fault.duration))
            elif isinstance(fault, CrashFault):
                self.crashes.append(fault)
            elif isinstance(fault, TrafficSpikeFault):
                self.spikes.append(fault)

    def latency_factor(self, version: int, arrival: np.ndarray) -> np.ndarray | None:
        """Multiplier of service times of ``version`` for requests arriving at ``arrival``; ``None`` if 1."""
        windows = self.latency.get(version)
        if not windows or len(arrival) == 0:
            return None
        factor = np.ones(len(arrival))
        touched = False
        for window in windows:
            if arrival[0] < window.end and arrival[-1] >= window.start:
                factor = np.where((arrival >= window.start) & (arrival < window.end), factor * window.value, factor)
                touched = True
        return factor if touched else None

    def error_probability(self, base: np.ndarray, version: np.ndarray, arrival: np.ndarray) -> np.ndarray:
        """Per-request failure probability: the version's own rate combined with active faults.

        Independent causes combine as ``1 - prod(1 - p_i)``.
        """
        survive = 1.0 - base[version]
        for index, windows in self.errors.items():
            for window in windows:
                hit = (version == index) & (arrival >= window.start) & (arrival < window.end)
                survive = np.where(hit, survive * (1.0 - window.value), survive)
        for window in self.dependency:
            hit = (arrival >= window.start) & (arrival < window.end)
            survive = np.where(hit, survive * (1.0 - window.value), survive)
        return 1.0 - survive
