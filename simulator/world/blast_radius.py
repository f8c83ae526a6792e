"""Blast radius: the share of users and of requests that met each version before the rollout's decision.

Requests are counted by their arrival: one that arrived before the decision
counts, even if it finished after it. Until the decision is known every
request recorded arrived before it (a request is recorded after it
arrives), so counting against a cut-off that is infinite until the decision
and the decision's time afterwards is exact. Counts are kept per serving
region; a user counts in every region that served them. Mirrored (shadow)
copies and a load test's requests are no user's and are not counted.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.world.metrics import FinishedRequests

__all__ = ["BlastRadius"]


class BlastRadius:
    """Requests and distinct users per region and version, up to the decision."""

    def __init__(self, n_regions: int, n_versions: int, users: int) -> None:
        self.cutoff = math.inf
        """The decision's time, seconds (infinite while none was made)."""
        self.requests = np.zeros((n_regions, n_versions), dtype=np.int64)
        self.users_seen = np.zeros((n_regions, users), dtype=bool)
        self.users_met = np.zeros((n_regions, n_versions, users), dtype=bool)

    def decided(self, time: float) -> None:
        """The rollout decided at ``time`` (seconds); only the first decision counts."""
        if math.isinf(self.cutoff):
            self.cutoff = float(time)

    def record(self, region: int, done: FinishedRequests) -> None:
        """Count the user requests of ``done``, all served in ``region``, that arrived before the decision."""
        before = done.arrival < self.cutoff
        for apart in (done.shadow, getattr(done, "synthetic", None)):  # mirrored copies, load tests: no user's
            if apart is not None:
                before &= ~apart
        if not before.any():
            return
        version, user = done.version[before], done.user[before]
        self.requests[region] += np.bincount(version, minlength=self.requests.shape[1])
        self.users_seen[region, user] = True
        self.users_met[region, version, user] = True

    def figures(self, version: int, region: int | None = None) -> dict[str, float | int | None]:
        """Who met ``version`` before the decision, in ``region`` or in all of them.

        ``users`` and ``requests`` are shares (0-1) of the users who sent a
        request and of the requests that arrived before the decision
        (``None`` without any); ``*_met`` and ``*_total`` the counts.
        """
        if region is None:
            seen, met = self.users_seen.any(axis=0), self.users_met[:, version].any(axis=0)
            requests_total, requests_met = int(self.requests.sum()), int(self.requests[:, version].sum())
        else:
            seen, met = self.users_seen[region], self.users_met[region, version]
            requests_total, requests_met = int(self.requests[region].sum()), int(self.requests[region, version])
        users_total, users_met = int(seen.sum()), int(met.sum())
        return {
            "users": users_met / users_total if users_total else None,
            "requests": requests_met / requests_total if requests_total else None,
            "users_met": users_met,
            "users_total": users_total,
            "requests_met": requests_met,
            "requests_total": requests_total,
        }
