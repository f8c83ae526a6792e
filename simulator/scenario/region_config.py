"""Scenario model of a region: its share of the traffic, its fleet, its latency offset, its own pattern.

::

    regions:
      us: {share: 0.5, replicas: 6}
      eu: {share: 0.3, replicas: 4, latency_offset: 20ms, traffic: {kind: diurnal, peak_at: 14h}}
      ap: {share: 0.2, replicas: 3, failover: false}

Each region is its own pool of replicas serving its own users. Its requests
arrive at ``share`` of the global base rate (``traffic.rate``), shaped by the
global pattern or, where the region names one, by its own ``traffic``
pattern (a diurnal peak in its own time zone). Its users are its share of
``traffic.users``. ``latency_offset`` is added to every service time in the
region (a slower dependency or network hop on the serving path: it holds
the replica's slot too). While a ``region_outage`` takes the region down,
the global balancer sends its requests to the surviving regions in
proportion to their shares; with ``failover: false`` they are dropped.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from simulator.errors import ScenarioError
from simulator.scenario.base import StrictModel, suggest
from simulator.scenario.limits import MAX_REPLICAS
from simulator.scenario.types import Count, Fraction, Latency
from simulator.scenario.waves_config import WavesConfig
from simulator.scenario.world_config import TrafficPattern

__all__ = ["RegionConfig", "REGION_NAME", "MAX_REGIONS", "region_users", "fill_service_replicas", "check_regions"]

REGION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
"""A region's name: a letter, then letters, digits, ``_`` or ``-`` (no dots: ``regions.eu.requests`` names a figure)."""

MAX_REGIONS = 64
"""Regions a scenario may declare at most."""


class RegionConfig(StrictModel):
    """One region of a multi-region scenario (see the module docstring)."""

    share: Fraction = Field(gt=0, le=1, description="share of the global traffic, 0-1 (the shares add up to 1)")
    replicas: Count = Field(gt=0, le=MAX_REPLICAS, description="replicas of the stable version in this region")
    latency_offset: Latency = Field(
        0.0, ge=0, description="added to every service time in this region, seconds (a slower dependency or hop)"
    )
    traffic: list[TrafficPattern] | None = Field(
        None, description="this region's own traffic pattern, one or a list (default: the global pattern)"
    )
    failover: bool = Field(
        True, description="while the region is out, its requests go to the other regions (false: dropped)"
    )

    @field_validator("traffic", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [value]
        return value


def region_users(users: int, shares: list[float]) -> list[int]:
    """Each region's number of users: ``users`` split by ``shares`` (largest remainder), at least 1 each."""
    exact = [users * share / sum(shares) for share in shares]
    counts = [max(1, int(value)) for value in exact]
    order = sorted(range(len(shares)), key=lambda index: (-(exact[index] - int(exact[index])), index))
    for index in order[: max(0, users - sum(counts))]:
        counts[index] += 1
    return counts


def fill_service_replicas(data: Any) -> Any:
    """A raw scenario with ``regions`` but no ``service.replicas``: the regions' replicas added up there.

    ``service.replicas`` then stays the whole stable fleet, as everything
    that reads it expects. A region whose ``replicas`` is not a whole number
    adds 1 here, so that the error is reported at the region's own key.
    """
    if not isinstance(data, dict) or not isinstance(data.get("regions"), dict):
        return data
    service = data.get("service")
    if not isinstance(service, dict) or "replicas" in service:
        return data
    total = 0
    for region in data["regions"].values():
        replicas = region.get("replicas") if isinstance(region, dict) else None
        total += replicas if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 0 else 1
    return {**data, "service": {**service, "replicas": max(total, 1)}}


def check_regions(scenario: Any) -> None:
    """The checks of a scenario's ``regions`` that relate keys to each other; raise :class:`ScenarioError`.

    Names and shares of the regions, ``service.replicas`` against theirs,
    the ``region`` of every fault, and the regions a ``Waves`` strategy
    names. Without ``regions``, no fault may name a region and no strategy
    may run in waves.
    """
    regions: dict[str, RegionConfig] | None = scenario.regions
    names = list(regions or {})
    if regions is not None:
        _check_region_table(scenario, regions)
    for index, fault in enumerate(scenario.faults):
        region = getattr(fault, "region", None)
        if region is None:
            continue
        if regions is None:
            raise ScenarioError(f"got region '{region}' in a scenario without regions; expected a scenario that "
                                "declares regions (regions: {NAME: {share, replicas}})",
                                path=f"faults[{index}].region", value=region)
        if region not in regions:
            raise ScenarioError(f"got '{region}'; expected a region{suggest(region, names)} ({', '.join(names)})",
                                path=f"faults[{index}].region", value=region)
    for label, config in scenario.strategies.items():
        if isinstance(config, WavesConfig):
            _check_waves(label, config, names, regions is not None)
    _check_expectations(scenario.expect, names, regions is not None)


_REGIONAL_EXPECTATIONS = ("blast_radius_users", "blast_radius_requests")
"""Expectations of figures only a run with regions has (besides ``regions.NAME.FIGURE``)."""


def _check_expectations(expect: dict[str, Any], names: list[str], has_regions: bool) -> None:
    """An expectation of a region names one of the scenario's; the blast radius needs regions."""
    for label, block in expect.items():
        if not isinstance(block, dict):
            continue
        for key in block:
            key = str(key)
            path = f"expect.{label}.{key}"
            regional = key.startswith("regions.") or key.partition(".")[0] in _REGIONAL_EXPECTATIONS
            if regional and not has_regions:
                raise ScenarioError(f"got '{key}' in a scenario without regions; expected a figure every run has "
                                    "(regions and the blast radius exist only with regions)", path=path, value=key)
            if key.startswith("regions."):
                name = key.split(".")[1]
                if name not in names:
                    raise ScenarioError(f"got region '{name}'; expected a region{suggest(name, names)} "
                                        f"({', '.join(names)})", path=path, value=key)


def _check_region_table(scenario: Any, regions: dict[str, RegionConfig]) -> None:
    if not regions:
        raise ScenarioError("got no region; expected at least one (regions: {NAME: {share, replicas}})",
                            path="regions")
    if len(regions) > MAX_REGIONS:
        raise ScenarioError(f"got {len(regions)} regions; expected at most {MAX_REGIONS}", path="regions")
    for name in regions:
        if not REGION_NAME.match(name):
            raise ScenarioError(f"got '{name}'; expected a region name: a letter, then letters, digits, _ or - "
                                "(at most 40 characters)", path=f"regions.{name}", value=name)
    total = sum(region.share for region in regions.values())
    if abs(total - 1.0) > 1e-6:
        shares = ", ".join(f"{name} {region.share:g}" for name, region in regions.items())
        raise ScenarioError(f"got shares adding up to {total:g} ({shares}); expected shares of the global traffic "
                            "adding up to 1", path="regions")
    replicas = sum(region.replicas for region in regions.values())
    if scenario.service.replicas != replicas:
        raise ScenarioError(f"got {scenario.service.replicas} beside regions whose replicas add up to {replicas}; "
                            f"expected no service.replicas (each region names its own) or {replicas}",
                            path="service.replicas", value=scenario.service.replicas)
    if scenario.simulation.data_plane == "per_request":
        raise ScenarioError("got per_request with regions; expected batch (the per-request reference serves one "
                            "region)", path="simulation.data_plane", value="per_request")


def _check_waves(label: str, config: WavesConfig, names: list[str], has_regions: bool) -> None:
    path = f"strategies.{label}"
    if not has_regions:
        raise ScenarioError("got a Waves strategy in a scenario without regions; expected regions to roll out "
                            "over (regions: {NAME: {share, replicas}})", path=f"{path}.strategy", value="waves")
    if getattr(config.each, "baseline", "stable") == "fresh":
        raise ScenarioError("got baseline: fresh inside waves; expected baseline: stable (a fresh baseline is "
                            "started for a strategy of the whole scenario only)", path=f"{path}.each.baseline",
                            value="fresh")
    if config.waves is None:
        return
    for index, wave in enumerate(config.waves):
        for region in wave:
            if region not in names:
                raise ScenarioError(f"got '{region}'; expected a region{suggest(region, names)} ({', '.join(names)})",
                                    path=f"{path}.waves[{index}]", value=region)
    missing = [name for name in names if not any(name in wave for wave in config.waves)]
    if missing:
        raise ScenarioError(f"got no wave for {', '.join(missing)}; expected every region in one wave",
                            path=f"{path}.waves", value=config.waves)
