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

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["RECORDED_REQUESTS", "TrafficRecording", "recording_for", "replaying_traffic"]

RECORDED_REQUESTS = 2_000_000
"""Most requests a recording keeps (about 230 MB of request fields it keeps from being freed)."""


class TrafficRecording:
    """The blocks a source drew for one traffic and seed, in order, and its generators' states after the last.

    ``blocks[k]`` holds block ``k``'s request fields (read-only arrays) as
    they were drawn. ``states`` are the ``bit_generator.state`` of the
    source's generators after the last block recorded: a source that has
    copied every block sets its own to them and draws on from there.
    """

    def __init__(self, key: object, most_requests: int) -> None:
        self.key = key
        self.most_requests = most_requests
        self.blocks: list[dict[str, np.ndarray]] = []
        self.requests = 0
        self.states: tuple[Mapping[str, Any], ...] = ()

    def record(self, fields: dict[str, np.ndarray], states: tuple[Mapping[str, Any], ...]) -> None:
        """Keep the block after the last recorded (``fields``), drawn just now; ``states``: after it.

        It is that block: a source copies every block recorded before it
        draws one. The block is kept as read-only views of the source's
        arrays, which never write a request again once it is drawn (and hand
        it out read-only), so recording copies nothing. Once the recording
        holds :attr:`most_requests`, no more is kept.
        """
        if self.requests >= self.most_requests:
            return
        block = {name: values.view() for name, values in fields.items()}
        for values in block.values():
            values.flags.writeable = False
        self.blocks.append(block)
        self.requests += len(block["arrival"])
        self.states = states


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
