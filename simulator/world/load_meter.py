"""What an autoscaler measures of a version: requests in flight, arriving, and in service, over a recent window.

A Knative queue-proxy counts the requests in flight at its pod from the
moment they reach it until the response leaves (or the client gives up);
averaged over a window, that is the request-seconds spent in the window
divided by its length. :class:`LoadMeter` keeps, per version, the arrival,
client-side end, service start and service end of every request that
finished recently (older ones are dropped), and adds the requests still in
flight when asked (``open``: their arrival, start and service end; their
client-side end lies after now). Averages are exact over the window: each
request counts for the part of its time inside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["LoadMeter", "OpenRequests", "NO_OPEN_REQUESTS"]

OpenRequests = Mapping[str, np.ndarray]
"""Requests of one version still in flight: ``arrival``, ``start`` and ``service_end`` arrays, seconds."""

NO_OPEN_REQUESTS: OpenRequests = {"arrival": np.empty(0), "start": np.empty(0), "service_end": np.empty(0)}

_FIELDS = ("arrival", "end", "start", "service_end")


class LoadMeter:
    """Recent requests per version: :meth:`record` finished ones, then ask for means over windows."""

    def __init__(self, n_versions: int, horizon: float) -> None:
        self.horizon = horizon
        """The longest window asked for, seconds: requests that ended before it are dropped."""
        self._columns = [{name: np.empty(0) for name in _FIELDS} for _ in range(n_versions)]

    def record(self, version: np.ndarray, arrival: np.ndarray, end: np.ndarray, start: np.ndarray,
               service_end: np.ndarray) -> None:
        """Add finished requests: version index, arrival, client-side end, service start and end (seconds)."""
        given = {"arrival": arrival, "end": end, "start": start, "service_end": service_end}
        for index in np.unique(version):
            mine = version == index
            columns = self._columns[index]
            for name in _FIELDS:
                columns[name] = np.concatenate([columns[name], given[name][mine]])

    def prune(self, now: float) -> None:
        """Drop requests whose client and service both ended before every window that may still be asked for."""
        oldest = now - self.horizon
        for columns in self._columns:
            last = np.maximum(columns["end"], columns["service_end"])
            if len(last) and last.min() < oldest:
                keep = last >= oldest
                for name in _FIELDS:
                    columns[name] = columns[name][keep]

    def concurrency(self, version: int, start: float, end: float, open_requests: OpenRequests = NO_OPEN_REQUESTS
                    ) -> float:
        """Mean requests in flight at ``version`` over ``[start, end)`` (s), arrival to client-side end."""
        if end <= start:
            return 0.0
        columns = self._columns[version]
        inside = np.clip(np.minimum(columns["end"], end) - np.maximum(columns["arrival"], start), 0.0, None)
        still = np.clip(end - np.maximum(open_requests["arrival"], start), 0.0, None)
        return float(inside.sum() + still.sum()) / (end - start)

    def rate(self, version: int, start: float, end: float, open_requests: OpenRequests = NO_OPEN_REQUESTS) -> float:
        """Requests per second that reached ``version`` in ``[start, end)``, those still in flight included."""
        if end <= start:
            return 0.0
        arrivals = self._columns[version]["arrival"]
        still = open_requests["arrival"]
        counted = np.count_nonzero((arrivals >= start) & (arrivals < end))
        counted += np.count_nonzero((still >= start) & (still < end))
        return counted / (end - start)

    def busy(self, version: int, start: float, end: float, open_requests: OpenRequests = NO_OPEN_REQUESTS) -> float:
        """Mean requests in service at ``version`` over ``[start, end)`` (s): busy slots, start to service end."""
        if end <= start:
            return 0.0
        total = 0.0
        for columns in (self._columns[version], open_requests):
            served_from = np.maximum(columns["start"], start)
            total += float(np.clip(np.minimum(columns["service_end"], end) - served_from, 0.0, None).sum())
        return total / (end - start)
