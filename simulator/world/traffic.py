"""Request arrivals: a non-homogeneous Poisson process with per-request draws.

Arrivals are generated in fixed blocks of simulated time, aligned to
multiples of :data:`BLOCK_SECONDS` and always in time order, from the run's
``traffic`` stream. The data plane takes them in slices of any length, so the
arrivals (and every per-request random draw) do not depend on where slices
end: two strategies run with the same seed see the same requests. Where two
cores are free, the blocks are drawn ahead on a second thread
(:mod:`simulator.world.draw_ahead`), with the same draws.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from simulator.scenario.world_config import (
    DiurnalPattern,
    SpikePattern,
    TrafficConfig,
    TrafficSpikeFault,
)
from simulator.world.draw_ahead import AHEAD_REQUESTS, AHEAD_ROOM, AHEAD_SECONDS, Drawer, drawing_ahead
from simulator.world.sorting import sort_uniform
from simulator.world.traffic_replay import TrafficRecording, recording_for

__all__ = ["RequestBatch", "RateFunction", "TrafficSource", "BLOCK_SECONDS", "user_buckets"]

BLOCK_SECONDS = 10.0
"""Length of one generation block, seconds."""


@dataclass(slots=True)
class RequestBatch:
    """Requests in arrival order, as parallel arrays (one element per request).

    ``arrival`` is in seconds; the ``u_*`` fields are U(0, 1) draws and
    ``z_service`` is an N(0, 1) draw, fixed per request when it is generated.
    ``region`` is the index of the region the request comes from (0 in a
    world without regions); ``u_failover`` the draw that picks the region
    serving it while its own is out (0 without regions: never read).
    """

    arrival: np.ndarray
    u_route: np.ndarray
    u_balance: np.ndarray
    u_service: np.ndarray
    z_service: np.ndarray
    u_error: np.ndarray
    u_correct: np.ndarray
    u_label: np.ndarray
    user: np.ndarray
    u_mirror: np.ndarray
    u_shadow: np.ndarray
    u_segment: np.ndarray
    region: np.ndarray
    u_failover: np.ndarray

    FIELDS = (
        "arrival", "u_route", "u_balance", "u_service", "z_service", "u_error", "u_correct", "u_label", "user",
        "u_mirror", "u_shadow", "u_segment", "region", "u_failover",
    )

    def __len__(self) -> int:
        return len(self.arrival)

    def take(self, index: slice | np.ndarray) -> RequestBatch:
        """The requests at ``index`` (a slice or an index/mask array)."""
        return RequestBatch(*(getattr(self, name)[index] for name in self.FIELDS))

    @classmethod
    def concatenate(cls, batches: list[RequestBatch]) -> RequestBatch:
        """One batch holding ``batches`` one after the other."""
        if len(batches) == 1:
            return batches[0]
        return cls(*(np.concatenate([getattr(b, name) for b in batches]) for name in cls.FIELDS))

    @classmethod
    def empty(cls) -> RequestBatch:
        """A batch of no requests."""
        return cls(*(np.empty(0, dtype=np.int64 if name in ("user", "region") else float) for name in cls.FIELDS))


class RateFunction:
    """The arrival rate over time, in requests/s: base rate times every pattern."""

    def __init__(self, config: TrafficConfig, spikes: list[TrafficSpikeFault] | None = None) -> None:
        self.base_rate = config.rate
        self.diurnal = [p for p in config.pattern if isinstance(p, DiurnalPattern)]
        self.spikes: list[tuple[float, float, float]] = [
            (p.at, p.at + p.duration, p.factor) for p in config.pattern if isinstance(p, SpikePattern)
        ]
        self.spikes += [(f.at, f.at + f.duration, f.factor) for f in spikes or []]

    def change_points(self) -> list[float]:
        """Times at which the rate jumps (spike starts and ends), seconds."""
        return sorted({t for start, end, _ in self.spikes for t in (start, end)})

    def rate(self, times: np.ndarray) -> np.ndarray:
        """The rate at each of ``times``, requests/s."""
        rate = np.full(times.shape, self.base_rate)
        for pattern in self.diurnal:
            rate *= 1.0 + pattern.amplitude * np.cos(2.0 * math.pi * (times - pattern.peak_at) / pattern.period)
        for start, end, factor in self.spikes:
            rate = np.where((times >= start) & (times < end), rate * factor, rate)
        return rate

    def max_rate(self, start: float, end: float) -> float:
        """An upper bound of the rate on ``[start, end)``, requests/s."""
        bound = self.base_rate
        for pattern in self.diurnal:
            bound *= 1.0 + pattern.amplitude
        for spike_start, spike_end, factor in self.spikes:
            if spike_start < end and spike_end > start:
                # over the whole interval a factor below 1 lowers the rate too (there is no thinning then)
                covers = spike_start <= start and spike_end >= end
                bound *= factor if covers else max(factor, 1.0)
        return bound

    def is_constant_on(self, start: float, end: float) -> bool:
        """Whether the rate is constant on ``[start, end)``."""
        if self.diurnal and any(p.amplitude > 0 for p in self.diurnal):
            return False
        return not any(s < end and e > start and (s > start or e < end) for s, e, _ in self.spikes)


class TrafficSource:
    """Generates requests block by block and hands them out by time.

    Each request comes from one of ``users`` users, chosen uniformly from the
    ``user_generator`` stream; the draws for mirroring to a shadow come from
    ``mirror_generator``. Both are kept apart so that they change no other draw.
    A region's source (:mod:`simulator.world.regions`) numbers its users from
    ``user_offset``, marks its requests with its ``region`` index and draws
    each request's failover choice from ``failover_generator``.
    """

    def __init__(self, rate: RateFunction, generator: np.random.Generator, users: int = 100_000,
                 user_generator: np.random.Generator | None = None,
                 mirror_generator: np.random.Generator | None = None, *, region: int = 0, user_offset: int = 0,
                 failover_generator: np.random.Generator | None = None) -> None:
        self.rate = rate
        self.generator = generator
        self.users = users
        self.user_generator = user_generator or generator
        self.mirror_generator = mirror_generator or generator
        self.region = region
        self.user_offset = user_offset
        self.failover_generator = failover_generator
        self._generated_until = 0.0
        # Generated requests, one array per field of RequestBatch; [_first, _filled) not handed out yet.
        # What was handed out is never written again: it is views of these arrays.
        self._columns: dict[str, np.ndarray] = _columns(0)
        self._first = 0
        self._filled = 0
        # Drawing ahead: the drawer thread draws blocks, the run's thread takes requests; the lock guards the
        # columns' layout, _first, _filled, _generated_until and _asked (the latest end asked for, seconds).
        self._lock = threading.Condition()
        self._ahead = drawing_ahead(rate.max_rate(0.0, BLOCK_SECONDS) * BLOCK_SECONDS)
        self._drawer: Drawer | None = None
        self._asked = 0.0
        # Replaying (simulator.world.traffic_replay): the recording of this traffic and seed, the blocks made so
        # far and how many of them were copied from the recording rather than drawn.
        self._recording: TrafficRecording | None = None
        self._blocks_made = 0
        self._blocks_copied = 0

    @classmethod
    def for_run(cls, config: TrafficConfig, spikes: list[TrafficSpikeFault], streams) -> TrafficSource:
        """The traffic of one run, from its random streams (what :class:`World` uses)."""
        # A recording (simulator.world.traffic_replay) starts where the streams start.
        fresh = not any(streams.made(name) for name in ("traffic", "users", "mirror"))
        source = cls(RateFunction(config, spikes), streams.generator("traffic"), config.users,
                     streams.generator("users"), streams.generator("mirror"))
        if fresh:
            source._recording = recording_for((config, tuple(spikes), streams.seed))
        return source

    def _reserve(self, count: int, more: int = 0) -> None:
        """Room for ``count`` more requests after those generated, moving the ones not handed out if need be.

        When the arrays move, they get room for ``more`` requests besides.
        """
        columns = self._columns
        if self._filled + count <= len(columns["arrival"]):
            return
        kept = self._filled - self._first
        fresh = _columns(kept + count + more)
        for name, values in columns.items():
            fresh[name][:kept] = values[self._first:self._filled]
        self._columns, self._first, self._filled = fresh, 0, kept

    def _expected(self, start: float, end: float) -> int:
        """Room enough, mostly, for the requests of the blocks from ``start`` up to ``end`` (seconds)."""
        if end <= start:
            return 0
        blocks = math.ceil((end - start) / BLOCK_SECONDS)
        expected = sum(self.rate.max_rate(start + k * BLOCK_SECONDS, start + (k + 1) * BLOCK_SECONDS)
                       for k in range(blocks)) * BLOCK_SECONDS
        return int(expected + 6.0 * math.sqrt(expected) + 64)

    def _generate_block(self, start: float, room_until: float | None = None) -> None:
        """Draw the requests of the block ``[start, start + BLOCK_SECONDS)`` after those generated.

        The draws, their order and their shapes are those of one call per
        kind of draw and block: ``random((6, n))`` is the same stream as six
        calls ``random(n)``, written here straight into each field's array.
        ``room_until``: see :meth:`_make_room`. The drawer thread calls this
        as well: the arrays move and the block is published under the lock,
        and the run's thread never reads past ``_filled``. With a recording
        of the same traffic and seed, a block it holds is copied, not drawn.
        """
        end = start + BLOCK_SECONDS
        recording, index = self._recording, self._blocks_made
        self._blocks_made += 1
        if recording is not None and self._blocks_copied == index:  # only copied blocks so far, or none
            recorded = recording.blocks
            if index < len(recorded):
                self._copy_block(recorded[index].fields, end, room_until)
                self._blocks_copied += 1
                return
            if index:  # draw on from where the copied blocks end
                for stream, state in zip(self._generators(), recorded[index - 1].states_after, strict=True):
                    stream.bit_generator.state = state
        generator = self.generator
        peak = self.rate.max_rate(start, end)
        count = int(generator.poisson(peak * BLOCK_SECONDS))
        arrival = sort_uniform(generator.uniform(start, end, count), start, end)
        if not self.rate.is_constant_on(start, end):
            keep = generator.random(count) * peak < self.rate.rate(arrival)
            arrival = arrival[keep]
            count = len(arrival)
        columns, block = self._make_room(count, end, room_until)
        columns["arrival"][block] = arrival
        for name in ("u_route", "u_balance", "u_service", "u_error", "u_correct", "u_label"):
            generator.random(count, out=columns[name][block])
        generator.standard_normal(count, out=columns["z_service"][block])
        columns["user"][block] = self.user_generator.integers(0, self.users, count)
        if self.user_offset:
            columns["user"][block] += self.user_offset
        for name in ("u_mirror", "u_shadow", "u_segment"):
            self.mirror_generator.random(count, out=columns[name][block])
        columns["region"][block] = self.region
        if self.failover_generator is None:
            columns["u_failover"][block] = 0.0
        else:
            self.failover_generator.random(count, out=columns["u_failover"][block])
        if recording is not None:
            recording.record(index, {name: values[block] for name, values in columns.items()},
                             tuple(stream.bit_generator.state for stream in self._generators()))
        self._publish(block, end)

    def _make_room(self, count: int, end: float, room_until: float | None) -> tuple[dict[str, np.ndarray], slice]:
        """The arrays and the place in them for a block of ``count`` requests ending at ``end`` (seconds).

        If the arrays must move, they get room for the blocks up to
        ``room_until`` (seconds) too, :data:`AHEAD_ROOM` requests at most.
        """
        more = 0 if room_until is None else min(self._expected(end, room_until), AHEAD_ROOM)
        with self._lock:
            self._reserve(count, more)
        first = self._filled
        return self._columns, slice(first, first + count)

    def _publish(self, block: slice, end: float) -> None:
        """The block's requests (at ``block``, up to ``end`` seconds) are written: hand them out from now on."""
        with self._lock:
            self._filled = block.stop
            self._generated_until = end
            self._lock.notify_all()

    def _generators(self) -> tuple[np.random.Generator, ...]:
        """The generators a block draws from (one may appear twice: setting its state twice sets the same)."""
        streams = (self.generator, self.user_generator, self.mirror_generator, self.failover_generator)
        return tuple(stream for stream in streams if stream is not None)

    def _copy_block(self, fields: dict[str, np.ndarray], end: float, room_until: float | None) -> None:
        """Append a recorded block's requests (``fields``) after those generated, as :meth:`_generate_block` would."""
        columns, block = self._make_room(len(fields["arrival"]), end, room_until)
        for name, values in fields.items():
            columns[name][block] = values
        self._publish(block, end)

    def take_until(self, end: float) -> RequestBatch:
        """All requests arriving before ``end`` (seconds) not handed out yet."""
        if not self._ahead:
            if self._generated_until < end:
                self._reserve(self._expected(self._generated_until, end))
            while self._generated_until < end:
                self._generate_block(self._generated_until)
            return self._cut(end)
        with self._lock:
            if self._drawer is None:
                self._drawer = Drawer(self)
            if end > self._asked:
                self._asked = end
                self._lock.notify_all()
            while self._generated_until < end:
                if self._drawer.error is not None:
                    raise self._drawer.error
                if not self._drawer.alive():
                    raise RuntimeError("the traffic drawer stopped before drawing the requests asked for")
                self._lock.wait(timeout=1.0)
            return self._cut(end)

    def _cut(self, end: float) -> RequestBatch:
        """Hand out the requests generated, not handed out yet, that arrive before ``end`` (seconds)."""
        columns, first = self._columns, self._first
        cut = first + int(np.searchsorted(columns["arrival"][first:self._filled], end, side="left"))
        self._first = cut
        fields = [columns[name][first:cut] for name in RequestBatch.FIELDS]
        for values in fields:
            values.flags.writeable = False  # handed out: read, never written (a recording may hold them)
        return RequestBatch(*fields)

    def _far_enough_ahead(self) -> bool:
        """Whether the drawer may rest: past the latest end asked for by its lead (the lock is held)."""
        if self._generated_until < self._asked:
            return False
        return (self._generated_until >= self._asked + AHEAD_SECONDS
                or self._filled - self._first >= AHEAD_REQUESTS)

    def close(self) -> None:
        """Stop drawing ahead; requests asked for later are drawn in line."""
        drawer, self._drawer, self._ahead = self._drawer, None, False
        if drawer is not None:
            drawer.stop()
            drawer.join()


def _columns(capacity: int) -> dict[str, np.ndarray]:
    """Empty arrays for ``capacity`` requests, one per field of :class:`RequestBatch`."""
    return {name: np.empty(capacity, dtype=np.int64 if name in ("user", "region") else np.float64)
            for name in RequestBatch.FIELDS}


def user_buckets(users: int, generator: np.random.Generator) -> np.ndarray:
    """Each user's position in [0, 1) for sticky assignment, as an experiment's salted hash would give.

    Drawn once per run from its own stream: the same users keep their
    buckets for the whole run, and the mapping differs between seeds.
    """
    return generator.random(users)
