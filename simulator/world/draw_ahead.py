"""Drawing a traffic source's requests ahead of the run, on a second thread.

Drawing requests (arrival times and a dozen random draws each) is about a
third of a run's work, and it depends on nothing the run does: the blocks
of :class:`~simulator.world.traffic.TrafficSource` are drawn in time order
from the source's own random streams, whatever the world is doing. So a
drawer thread can draw the next blocks while the run serves the current
slice. numpy's generators and the compiled sort let go of the interpreter
lock while they work, so the two threads use two cores.

The drawer makes the same calls, in the same order, as drawing in line
would: every request and every draw is the same, bit for bit. Only when
the requests are drawn changes. It keeps at most :data:`AHEAD_SECONDS` of
simulated time, or :data:`AHEAD_REQUESTS` requests, beyond what the run
has asked for, then waits.

On by default where the process may use two cores or more, for traffic
of :data:`LEAST_PER_BLOCK` to :data:`MOST_PER_BLOCK` requests a block (500
to 30,000 requests/s). Below that, handing the interpreter lock to and fro
costs the run more than the drawing it saves; above it, a block outgrows the
lead and the caches, and the two threads contend for memory more than they
share the work. A sweep's worker processes draw in line
(:func:`drawing_in_line`): the pool already keeps every core busy. The
thread holds its source only weakly, and stops when the source is closed or
collected.

Drawing ahead relies on a source's rate and streams staying as they were
made for the whole run (traffic spikes are given at the start). The switch
:func:`drawing_in_line` sets is the process's, not a thread's. A process
forked while a drawer draws may inherit its lock held: fork before a run or
after it, or spawn (as the sweeps do).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = [
    "AHEAD_REQUESTS", "AHEAD_ROOM", "AHEAD_SECONDS", "LEAST_PER_BLOCK", "MOST_PER_BLOCK", "Drawer", "DrawnSource",
    "drawing_ahead", "drawing_in_line",
]

AHEAD_SECONDS = 120.0
"""Simulated seconds the drawer goes beyond the latest time asked for (two slices of a minute)."""

AHEAD_REQUESTS = 250_000
"""Requests drawn and not handed out at which the drawer stops early (at high rates), about 28 MB."""

AHEAD_ROOM = AHEAD_REQUESTS
"""Most requests the drawer makes room for beyond a block when its arrays fill up and move.

It makes room for a lead (:data:`AHEAD_SECONDS`), this many requests at
most: at high rates a lead in seconds is millions of requests. Larger
arrays would move less often, but cost more in fresh pages than the
copying they save.
"""

LEAST_PER_BLOCK = 5_000
"""Fewest requests expected in a block of traffic (by its peak rate) for drawing ahead to pay."""

MOST_PER_BLOCK = 300_000
"""Most requests expected in a block of traffic (by its peak rate) for drawing ahead to pay."""


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity


_enabled = _usable_cores() >= 2


def drawing_ahead(requests_per_block: float | None = None) -> bool:
    """Whether a traffic source made now, of ``requests_per_block`` at its peak, draws on a second thread.

    Without ``requests_per_block``: whether drawing ahead is on at all here.
    """
    if requests_per_block is None:
        return _enabled
    return _enabled and LEAST_PER_BLOCK <= requests_per_block <= MOST_PER_BLOCK


@contextmanager
def drawing_in_line() -> Iterator[None]:
    """Within the block, traffic sources made draw their requests in line, on the run's own thread."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before


class DrawnSource(Protocol):
    """What the drawer uses of its source (:class:`~simulator.world.traffic.TrafficSource`)."""

    _lock: threading.Condition
    _generated_until: float
    _asked: float

    def _far_enough_ahead(self) -> bool: ...

    def _generate_block(self, start: float, room_until: float | None = None) -> None: ...


class Drawer:
    """The thread drawing one source's blocks ahead; the source's ``_lock`` guards what both share.

    The source tells it how far the run has asked (:meth:`TrafficSource.take_until`
    sets ``_asked`` and notifies); it draws the blocks through
    :meth:`TrafficSource._generate_block` and notifies when one is done.
    An error while drawing is kept and raised in the run's thread.
    """

    def __init__(self, source: DrawnSource) -> None:
        self.condition = source._lock
        self.stopped = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=_draw, args=(weakref.ref(source), self), daemon=True,
                                        name="rollout-sim traffic drawer")
        weakref.finalize(source, self.stop)
        self._thread.start()

    def stop(self) -> None:
        """Stop drawing (the thread ends after the block it may be drawing)."""
        with self.condition:
            self.stopped = True
            self.condition.notify_all()

    def alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread.is_alive()

    def join(self) -> None:
        """Wait for the thread to end (after :meth:`stop`)."""
        self._thread.join()


def _draw(source_ref: weakref.ref[DrawnSource], drawer: Drawer) -> None:
    """The drawer thread: draw blocks while the source is short of its lead, wait otherwise."""
    condition = drawer.condition
    try:
        while True:
            with condition:
                source = None
                while not drawer.stopped:
                    source = source_ref()
                    if source is None or not source._far_enough_ahead():
                        break
                    source = None  # held only weakly while waiting
                    if drawer.stopped:  # dropping the last reference may have just stopped it, on this thread
                        break
                    condition.wait(timeout=1.0)
                if drawer.stopped or source is None:
                    return
            source._generate_block(source._generated_until, source._asked + AHEAD_SECONDS)
            source = None
    except BaseException as error:  # noqa: BLE001 - handed to the run's thread, which raises it
        with condition:
            drawer.error = error
            condition.notify_all()
