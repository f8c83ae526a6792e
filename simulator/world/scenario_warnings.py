"""What a valid scenario probably did not mean: warnings ``validate``, ``run``, ``compare`` and ``check`` print.

A scenario that loads may still describe something its author did not
intend. Three such cases are caught before anything runs:

* a percentage below 1 (``initialPercentage: 0.05``): keys named for a
  percentage take 0-100, so 0.05 sends one request in 2,000; the author
  probably meant 5 (%);
* a version whose service times often exceed the client timeout: more than
  1 % of its requests fail however the rollout goes;
* traffic above what the stable fleet can serve (peak rate x mean service
  time > replicas x concurrency): queues grow without bound before the
  rollout starts. Spikes written as faults (``traffic_spike``) are left out:
  they are meant to overload.

Each warning names the key path, like an error, but nothing is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from simulator.scenario.model import Scenario
from simulator.scenario.types import PERCENT_KEY, field_has
from simulator.scenario.world_config import DiurnalPattern, SpikePattern
from simulator.world.latency import LatencyDistribution

__all__ = ["ScenarioWarning", "scenario_warnings", "peak_rate", "TIMEOUT_SHARE"]

TIMEOUT_SHARE = 0.01
"""Share of a version's service times above the timeout from which a warning is given, 0-1."""


@dataclass(frozen=True)
class ScenarioWarning:
    """One warning: the key path it is about and what is probably wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _time(seconds: float) -> str:
    """A service time or timeout for people: ``40 ms``, ``2.5 s``."""
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def scenario_warnings(scenario: Scenario) -> list[ScenarioWarning]:
    """Every warning about ``scenario``, in the order: percentages, timeouts, capacity."""
    return [*_percentages(scenario), *_timeouts(scenario), *_capacity(scenario)]


def _percent_values(model: BaseModel, path: str) -> Iterator[tuple[str, float]]:
    """``(key path, value)`` of every percentage field set under ``model``, keys as written (camelCase)."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{path}.{field.alias or name}" if path else (field.alias or name)
        if field_has(field, PERCENT_KEY):
            if isinstance(value, (int, float)):
                yield key, float(value)
            elif isinstance(value, (list, tuple)):
                yield from ((f"{key}[{index}]", float(item)) for index, item in enumerate(value))
        else:
            yield from _nested_percent_values(value, key)


def _nested_percent_values(value: Any, path: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, BaseModel):
        yield from _percent_values(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nested_percent_values(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _nested_percent_values(item, f"{path}[{index}]")


def _percentages(scenario: Scenario) -> Iterator[ScenarioWarning]:
    for path, value in _percent_values(scenario, ""):
        if 0 < value < 1:
            yield ScenarioWarning(path, f"{value:g} is a percentage (0-100), so {value:g} %; did you mean "
                                        f"{value * 100:g} (%)?")


def _timeouts(scenario: Scenario) -> Iterator[ScenarioWarning]:
    timeout = scenario.service.timeout
    for name, version in scenario.versions.items():
        distribution = LatencyDistribution.from_spec(version.latency)
        share = distribution.share_above(timeout)
        if share > TIMEOUT_SHARE:
            p99 = distribution.quantile(0.99)
            yield ScenarioWarning(
                f"versions.{name}.latency",
                f"p99 service time {_time(p99)} is above service.timeout {_time(timeout)}: "
                f"{share:.0%} of {name}'s requests take longer than the timeout and fail, however the rollout "
                "goes",
            )


def peak_rate(scenario: Scenario) -> float:
    """The traffic's highest rate within the horizon, requests/s: the base rate times every pattern at its peak.

    The same bound as :meth:`simulator.world.traffic.RateFunction.max_rate`
    without faults, computed without numpy.
    """
    peak = scenario.traffic.rate
    for pattern in scenario.traffic.pattern:
        if isinstance(pattern, DiurnalPattern):
            peak *= 1.0 + pattern.amplitude
        elif isinstance(pattern, SpikePattern) and pattern.factor > 1.0 and pattern.at < scenario.horizon:
            peak *= pattern.factor
    return peak


def _capacity(scenario: Scenario) -> Iterator[ScenarioWarning]:
    stable = scenario.versions[scenario.stable]
    mean_s = LatencyDistribution.from_spec(stable.latency).mean()
    slots = scenario.service.replicas * scenario.service.concurrency
    capacity = slots / mean_s if mean_s > 0 else float("inf")
    peak = peak_rate(scenario)
    if peak > capacity:
        yield ScenarioWarning(
            "traffic",
            f"peak rate {peak:,.4g}/s is {peak / capacity:.2f} x what the stable fleet serves "
            f"({scenario.service.replicas} replicas x {scenario.service.concurrency} slots at a mean service time "
            f"of {_time(mean_s)}: {capacity:,.4g}/s): queues grow without bound before any rollout",
        )
