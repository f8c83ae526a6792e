"""Handing the requests one run drew to the next run of the same traffic and seed.

A comparison runs every strategy on the same seeds, so each strategy of a
seed draws the very same requests: arrivals and a dozen draws each, about a
third of a run's work. Within :func:`replaying_traffic`, the first traffic
source of a seed records every block it draws (:class:`TrafficRecording`);
the next source made for the same traffic and seed copies those blocks
instead of drawing them. Past the last block recorded it sets its
generators to the states they had there and draws on, recording as it goes:
every request is the same, bit for bit, whichever run drew it.

Only the latest seed's blocks are kept, :data:`RECORDED_REQUESTS` requests
at most (a run that goes further draws the rest). A sweep's worker turns it
on for its batch of runs when they hold a seed's strategies one after
another (elsewhere recording would only keep memory busy).
Only a run's single traffic source is recorded (:meth:`TrafficSource.for_run`),
not the per-region sources of a world with regions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np

__all__ = ["RECORDED_REQUESTS", "RecordedBlock", "TrafficRecording", "recording_for", "replaying_traffic"]

RECORDED_REQUESTS = 2_000_000
"""Most requests a recording keeps (about 230 MB of request fields it keeps from being freed)."""


class RecordedBlock(NamedTuple):
    """One block of a recording: its request fields (read-only arrays) and the generators' states after it."""

    fields: dict[str, np.ndarray]
    states_after: tuple[Mapping[str, Any], ...]


class TrafficRecording:
    """The blocks drawn for one traffic and seed, in order (:class:`RecordedBlock`).

    A source that has copied every block so far and needs the next one sets
    its generators to the states after the last recorded one and draws on;
    a source that drew a block itself never copies again (its generators are
    its own). Only the block right after the last recorded is kept, once.
    """

    def __init__(self, key: object, most_requests: int) -> None:
        self.key = key
        self.most_requests = most_requests
        self.blocks: list[RecordedBlock] = []
        self.requests = 0
        self._lock = threading.Lock()  # sources on several threads (a Dask worker's) may record at once

    def record(self, index: int, fields: dict[str, np.ndarray], states: tuple[Mapping[str, Any], ...]) -> None:
        """Keep block ``index`` (``fields``), drawn just now; ``states``: the generators' after it.

        Only the block right after the last recorded is kept: another source
        may have recorded this one already. The block is kept as read-only
        views of the source's arrays, which never write a request again once
        it is drawn (and hand it out read-only), so recording copies
        nothing. Once the recording holds :attr:`most_requests`, no more is kept.
        """
        with self._lock:
            if index != len(self.blocks) or self.requests >= self.most_requests:
                return
            block = {name: values.view() for name, values in fields.items()}
            for values in block.values():
                values.flags.writeable = False
            self.blocks.append(RecordedBlock(block, states))
            self.requests += len(block["arrival"])


class _Replay:
    """The recordings kept while :func:`replaying_traffic` is on: the latest one."""

    def __init__(self, most_requests: int) -> None:
        self.most_requests = most_requests
        self.latest: TrafficRecording | None = None


_replay: _Replay | None = None


@contextmanager
def replaying_traffic(most_requests: int = RECORDED_REQUESTS) -> Iterator[None]:
    """Within the block, a run's traffic source replays the blocks drawn for the same traffic and seed before.

    ``most_requests``: most requests recorded. The recording is dropped at the end of the block.
    """
    global _replay
    before, _replay = _replay, _Replay(most_requests)
    try:
        yield
    finally:
        _replay = before


def recording_for(key: object) -> TrafficRecording | None:
    """The recording of the traffic and seed ``key`` (made anew if the latest is another's); ``None`` when off.

    Keys are compared with ``==``: the traffic's configuration and the seed.
    """
    replay = _replay
    if replay is None:
        return None
    if replay.latest is None or replay.latest.key != key:
        replay.latest = TrafficRecording(key, replay.most_requests)
    return replay.latest
