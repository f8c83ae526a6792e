"""Regions as the world sees them: their layout, their traffic, and the global balancer's failover.

Each region has its own request source (its share of the global rate,
shaped by its own or the global pattern, with its own spikes), drawn from
its own named random streams (``traffic/NAME``, ``users/NAME``,
``mirror/NAME``, ``failover/NAME``), so adding a region, or a fault in one,
changes no other region's requests. The sources are merged in arrival order
for the data plane. Each region's users are a block of the global user ids
(its share of ``traffic.users``).

Routing targets are *pools*: one per region and version, numbered
``region x versions + version``. The global balancer keeps a request in its
own region; while that region is out, it sends the request to a surviving
region chosen in proportion to the survivors' shares (by the request's own
``u_failover`` draw), or, where the region says ``failover: false``, leaves
it to be dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.random_streams import RandomStreams
from simulator.scenario.model import Scenario
from simulator.scenario.region_config import region_users
from simulator.scenario.world_config import TrafficSpikeFault
from simulator.world.traffic import RateFunction, RequestBatch, TrafficSource

__all__ = ["RegionLayout", "RegionalTraffic", "RegionalRate", "fail_over"]


@dataclass(frozen=True)
class RegionLayout:
    """The regions of a scenario, in the order declared.

    ``shares`` are fractions of the global traffic (0-1); ``replicas`` the
    stable fleet of each; ``latency_offset`` seconds added to every service
    time there; ``failover`` whether a region's requests go elsewhere while
    it is out; ``users`` and ``user_offsets`` its block of user ids.
    """

    names: tuple[str, ...]
    shares: np.ndarray
    replicas: tuple[int, ...]
    latency_offset: np.ndarray
    failover: np.ndarray
    users: tuple[int, ...]
    user_offsets: tuple[int, ...]

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> RegionLayout:
        """The layout of ``scenario``'s ``regions`` (which it must have)."""
        regions = scenario.regions
        if not regions:
            raise ValueError("a regional world needs a scenario with regions")
        shares = [region.share for region in regions.values()]
        users = region_users(scenario.traffic.users, shares)
        offsets = tuple(int(offset) for offset in np.concatenate([[0], np.cumsum(users)[:-1]]))
        return cls(
            names=tuple(regions),
            shares=np.array(shares),
            replicas=tuple(region.replicas for region in regions.values()),
            latency_offset=np.array([region.latency_offset for region in regions.values()]),
            failover=np.array([region.failover for region in regions.values()]),
            users=tuple(users),
            user_offsets=offsets,
        )

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Index of region ``name``."""
        return self.names.index(name)

    def spread(self, replicas: int) -> list[int]:
        """``replicas`` of a deployment spread over every region as the stable fleets are (ceil, so each gets one).

        Each region gets ``ceil(replicas x its stable replicas / all stable
        replicas)``: the whole fleet goes back to each region's own size, and
        a small canary has a replica in every region (none would drop its
        share of the traffic there). 0 stays 0.
        """
        total = sum(self.replicas)
        return [-(-replicas * own // total) for own in self.replicas]


class RegionalRate(RateFunction):
    """The whole world's arrival rate: the regions' rates added (requests/s), as the drift monitor samples it."""

    def __init__(self, rates: list[RateFunction]) -> None:  # noqa: D107 - the parts only
        self.parts = rates
        self.base_rate = sum(rate.base_rate for rate in rates)
        self.diurnal = []
        self.spikes = []

    def change_points(self) -> list[float]:
        """Times at which any region's rate jumps, seconds."""
        return sorted({point for rate in self.parts for point in rate.change_points()})

    def rate(self, times: np.ndarray) -> np.ndarray:
        """The rate at each of ``times``, requests/s."""
        total = np.zeros(np.shape(times))
        for rate in self.parts:
            total = total + rate.rate(times)
        return total

    def max_rate(self, start: float, end: float) -> float:
        """An upper bound of the rate on ``[start, end)``, requests/s."""
        return float(sum(rate.max_rate(start, end) for rate in self.parts))

    def is_constant_on(self, start: float, end: float) -> bool:
        """Whether every region's rate is constant on ``[start, end)``."""
        return all(rate.is_constant_on(start, end) for rate in self.parts)


class RegionalTraffic(TrafficSource):
    """One request source per region, merged in arrival order (what the data plane takes requests from)."""

    def __init__(self, scenario: Scenario, layout: RegionLayout, streams: RandomStreams) -> None:  # noqa: D107
        regions = scenario.regions or {}
        self.sources: list[TrafficSource] = []
        for index, (name, region) in enumerate(regions.items()):
            config = scenario.traffic.model_copy(update={
                "rate": scenario.traffic.rate * region.share,
                "users": layout.users[index],
                "pattern": scenario.traffic.pattern if region.traffic is None else region.traffic,
            })
            spikes = [fault for fault in scenario.faults
                      if isinstance(fault, TrafficSpikeFault) and fault.region in (None, name)]
            self.sources.append(TrafficSource(
                RateFunction(config, spikes), streams.generator(f"traffic/{name}"), layout.users[index],
                streams.generator(f"users/{name}"), streams.generator(f"mirror/{name}"), region=index,
                user_offset=layout.user_offsets[index], failover_generator=streams.generator(f"failover/{name}"),
            ))
        self.rate = RegionalRate([source.rate for source in self.sources])
        self.users = scenario.traffic.users

    def take_until(self, end: float) -> RequestBatch:
        """All requests of every region arriving before ``end`` (seconds) not handed out yet, in arrival order."""
        merged = RequestBatch.concatenate([source.take_until(end) for source in self.sources])
        if len(self.sources) == 1:
            return merged
        return merged.take(np.argsort(merged.arrival, kind="stable"))

    def close(self) -> None:
        """Stop every region's source drawing ahead."""
        for source in self.sources:
            source.close()


def fail_over(origin: np.ndarray, u_failover: np.ndarray, out: np.ndarray, layout: RegionLayout) -> np.ndarray:
    """The region serving each request: its own, or while that is out a survivor by share (failover).

    ``origin`` are the requests' own regions; ``out`` marks the regions
    down now. A request of a region that is out goes to a surviving region
    picked by its ``u_failover`` draw in proportion to the survivors'
    shares, unless its region says ``failover: false`` or none survives: it
    stays, to be dropped there.
    """
    serving = origin.copy()
    moved = out[origin] & layout.failover[origin]
    survivors = ~out
    if not moved.any() or not survivors.any():
        return serving
    shares = np.where(survivors, layout.shares, 0.0)
    cumulative = np.cumsum(shares / shares.sum())
    cumulative[np.flatnonzero(survivors)[-1]:] = math.inf  # the last survivor takes what rounding leaves
    serving[moved] = np.searchsorted(cumulative, u_failover[moved], side="right")
    return serving
