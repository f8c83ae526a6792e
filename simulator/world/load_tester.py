"""A load tester in the simulated cluster: synthetic requests to one version's own Service.

Flagger's load tester (flagger-loadtester) runs a webhook's command, such as
``hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/``, in the
background; while a run of the same command for the same Canary is still
going it skips the new one (its log says "command skipped ... is already
running"). :class:`LoadTester` does the same with the runs a strategy asks
for (:class:`~simulator.commands.LoadTest`): :meth:`LoadTester.call` starts
a :class:`LoadTestRun` unless the task's last run is still going at the
call. A run is going until its duration has passed, its end included: hey
exits only after its duration, once its workers have stopped, and the load
tester starts a task on its next 100 ms tick after the call, so a call
exactly one duration after the last start finds it still running.

A run's requests: ``workers`` clients each send one every ``period``
seconds, the first ``period`` after the start, for ``duration`` seconds (at
most the load tester's own timeout, an hour), all to one version. Their
arrival times follow from that; their other draws (service time, error,
balancing, ...) come from the run's own random stream (``load-test N`` for
the N-th run of the world), in blocks, so neither where the data plane's
slices end nor the users' traffic changes them, and they change no other
draw. They are nobody's requests: no user, no label, no mirrored copy.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.random_streams import RandomStreams
from simulator.world.traffic import RequestBatch

__all__ = ["LoadTester", "LoadTestRun", "LOAD_TESTER_TIMEOUT"]

LOAD_TESTER_TIMEOUT = 3600.0
"""Seconds after which flagger-loadtester stops a command (its ``-timeout``, default 1h)."""

_TICKS_PER_BLOCK = 1024
"""Ticks (of every worker) whose draws are drawn at once."""

_DRAWN = ("u_balance", "u_service", "z_service", "u_error", "u_correct", "u_label", "u_segment")
"""The per-request draws a synthetic request needs; its other fields are fixed (see :func:`_batch`)."""

_FIXED = {"u_route": 0.0, "u_mirror": 1.0, "u_shadow": 0.5, "user": -1}
"""Fields a synthetic request does not use: never routed by weight, never mirrored, no user."""


def _batch(arrival: np.ndarray, draws: dict[str, np.ndarray]) -> RequestBatch:
    """A batch of synthetic requests: ``draws`` and their fixed fields; any other field zero."""
    template = RequestBatch.empty()
    columns = []
    for name in RequestBatch.FIELDS:
        dtype = getattr(template, name).dtype
        if name == "arrival":
            columns.append(arrival)
        elif name in draws:
            columns.append(draws[name])
        else:
            columns.append(np.full(len(arrival), _FIXED.get(name, 0), dtype=dtype))
    return RequestBatch(*columns)


class LoadTestRun:
    """One run of a load test: its requests, handed out in arrival order (:meth:`take_until`)."""

    def __init__(self, task: str, version: int, start: float, workers: int, period: float, duration: float,
                 generator: np.random.Generator) -> None:
        self.task = task
        self.version = version
        self.start = float(start)
        self.workers = int(workers)
        self.period = float(period)
        self.duration = min(float(duration), LOAD_TESTER_TIMEOUT)
        self.end = self.start + self.duration
        """When the run is over (seconds): it is going until then, that instant included."""
        self.ticks = int(math.floor(self.duration / self.period + 1e-9))
        """Requests each worker sends."""
        self._generator = generator
        self._next_tick = 1  # the first tick not handed out yet
        self._block: tuple[int, dict[str, np.ndarray]] | None = None  # (first tick, draws) of the current block

    @property
    def requests(self) -> int:
        """Requests the run sends in all."""
        return self.ticks * self.workers

    @property
    def exhausted(self) -> bool:
        """Whether every request has been handed out."""
        return self._next_tick > self.ticks

    def _tick_time(self, tick: int) -> float:
        return self.start + tick * self.period

    def _last_tick_before(self, end: float) -> int:
        """The last tick whose requests leave before ``end`` (seconds), at most the run's last."""
        tick = min(self.ticks, int(math.floor((end - self.start) / self.period)) + 1)
        while tick >= 1 and self._tick_time(tick) >= end:
            tick -= 1
        return max(tick, 0)

    def _draws(self, first: int, last: int) -> dict[str, np.ndarray]:
        """The draws of ticks ``first .. last`` (every worker's), from the blocks they fall in, in order."""
        parts: list[dict[str, np.ndarray]] = []
        tick = first
        while tick <= last:
            block_first = (tick - 1) // _TICKS_PER_BLOCK * _TICKS_PER_BLOCK + 1
            if self._block is None or self._block[0] != block_first:
                count = min(_TICKS_PER_BLOCK, self.ticks - block_first + 1) * self.workers
                uniforms = self._generator.random((len(_DRAWN) - 1, count))
                normal = self._generator.standard_normal(count)
                drawn = {name: uniforms[row] for row, name in enumerate(n for n in _DRAWN if n != "z_service")}
                self._block = (block_first, {**drawn, "z_service": normal})
            block_last = min(last, block_first + _TICKS_PER_BLOCK - 1)
            low, high = (tick - block_first) * self.workers, (block_last - block_first + 1) * self.workers
            parts.append({name: values[low:high] for name, values in self._block[1].items()})
            tick = block_last + 1
        return {name: np.concatenate([part[name] for part in parts]) for name in _DRAWN}

    def take_until(self, end: float) -> tuple[RequestBatch, np.ndarray]:
        """The requests leaving before ``end`` (seconds) not handed out yet, and the version of each."""
        first, last = self._next_tick, self._last_tick_before(end)
        if last < first:
            return _batch(np.empty(0), {name: np.empty(0) for name in _DRAWN}), np.empty(0, dtype=np.int64)
        self._next_tick = last + 1
        arrival = np.repeat(self.start + np.arange(first, last + 1) * self.period, self.workers)
        return _batch(arrival, self._draws(first, last)), np.full(len(arrival), self.version, dtype=np.int64)


class LoadTester:
    """The load tester's runs in one world, started by calls (:meth:`call`)."""

    def __init__(self, streams: RandomStreams) -> None:
        self._streams = streams
        self.runs: list[LoadTestRun] = []
        """Every run started, in order."""
        self._last: dict[str, LoadTestRun] = {}  # the last run of each task

    def running(self, task: str, now: float) -> LoadTestRun | None:
        """The run of ``task`` still going at ``now`` (seconds), if any."""
        run = self._last.get(task)
        return run if run is not None and now <= run.end else None

    def call(self, task: str, version: int, now: float, *, workers: int, period: float,
             duration: float) -> LoadTestRun | None:
        """Start a run of ``task`` at ``now`` (seconds), unless one is still going: the new run, or ``None``."""
        if self.running(task, now) is not None:
            return None
        generator = self._streams.generator(f"load-test {len(self.runs) + 1}")
        run = LoadTestRun(task, version, now, workers, period, duration, generator)
        self.runs.append(run)
        self._last[task] = run
        return run
