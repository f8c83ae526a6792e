"""Replaying the requests a run drew to the next run of the same traffic and seed: the same requests, bit for bit."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

from simulator.driver import run
from simulator.experiment import runner
from simulator.experiment.runner import Case, execute
from simulator.random_streams import RandomStreams
from simulator.scenario import load_scenario
from simulator.scenario.world_config import TrafficConfig, TrafficSpikeFault
from simulator.world import draw_ahead, traffic_replay
from simulator.world.draw_ahead import drawing_in_line
from simulator.world.traffic import RequestBatch, TrafficSource
from simulator.world.traffic_replay import replaying_traffic
from tests.helpers import SCENARIOS

CONFIGS = [
    {"rate": "200/s"},
    {"rate": 50, "pattern": {"kind": "diurnal", "amplitude": 0.5, "period": "20m", "peak_at": "5m"}},  # thinned
    {"rate": 100, "pattern": [{"kind": "spike", "at": "2m", "factor": 4, "for": "3m"}]},
]
ENDS = (0.5, 7.0, 61.0, 61.25, 200.0, 419.9, 420.0, 900.0)


def _requests(config: dict, seed: int = 4, spikes: list[TrafficSpikeFault] | None = None,
              ends: tuple[float, ...] = ENDS) -> tuple[list[RequestBatch], TrafficSource]:
    """The requests a run's source hands out, slice by slice up to each of ``ends`` (seconds), and the source."""
    source = TrafficSource.for_run(TrafficConfig.model_validate(config), spikes or [], RandomStreams(seed))
    parts = [source.take_until(end) for end in ends]
    source.close()
    return parts, source


def _assert_same(parts: list[RequestBatch], reference: list[RequestBatch]) -> None:
    for part, expected in zip(parts, reference, strict=True):
        for name in RequestBatch.FIELDS:
            assert np.array_equal(getattr(part, name), getattr(expected, name)), name


@pytest.fixture(autouse=True)
def in_line():
    """The sources draw on the test's thread (drawing ahead has its own tests)."""
    with drawing_in_line():
        yield


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("most_requests", [math.inf, 30_000, 1])
def test_a_replayed_source_hands_out_the_requests_a_fresh_one_draws(config: dict, most_requests: float) -> None:
    # A recording of everything, one that stops part-way (the replay draws on from its end), one of a single block.
    fresh, _ = _requests(config)
    with replaying_traffic(most_requests=most_requests):
        first, recorder = _requests(config)
        second, replayer = _requests(config)
        third, _ = _requests(config)
    _assert_same(first, fresh)
    _assert_same(second, fresh)
    _assert_same(third, fresh)
    assert recorder._blocks_copied == 0 and replayer._blocks_copied > 0
    if most_requests == math.inf:
        assert replayer._blocks_copied == replayer._blocks_made  # nothing drawn again


def test_a_longer_run_replays_what_was_recorded_and_draws_the_rest() -> None:
    config = CONFIGS[0]
    fresh, _ = _requests(config, ends=(100.0, 300.0))
    with replaying_traffic():
        _requests(config, ends=(100.0,))
        longer, source = _requests(config, ends=(100.0, 300.0))
        again, again_source = _requests(config, ends=(100.0, 300.0))
    _assert_same(longer, fresh)
    _assert_same(again, fresh)
    assert source._blocks_copied == 10 and again_source._blocks_copied == 30  # the second extended the recording


def test_two_sources_of_the_same_traffic_at_once_keep_the_recording_in_order() -> None:
    config = TrafficConfig.model_validate(CONFIGS[0])
    ends = (100.0, 200.0, 300.0)
    fresh, _ = _requests(CONFIGS[0], ends=ends)
    with replaying_traffic():
        first = TrafficSource.for_run(config, [], RandomStreams(4))
        second = TrafficSource.for_run(config, [], RandomStreams(4))
        first_parts = [first.take_until(ends[0])]  # draws and records blocks 0-9
        second_parts = [second.take_until(end) for end in ends[:2]]  # copies 0-9, draws and records 10-19
        first_parts += [first.take_until(end) for end in ends[1:]]  # draws 10-29 itself: 10-19 are not kept twice
        second_parts.append(second.take_until(ends[2]))  # draws on by itself: it drew 10-19
        third, _ = _requests(CONFIGS[0], ends=ends)
    for parts in (first_parts, second_parts, third):
        _assert_same(parts, fresh)
    assert (first._blocks_copied, second._blocks_copied) == (0, 10)


@pytest.mark.parametrize("other", [
    {"seed": 5},
    {"config": {"rate": "201/s"}},
    {"spikes": [TrafficSpikeFault.model_validate({"kind": "traffic_spike", "at": "1m", "factor": 3, "for": "1m"})]},
])
def test_another_seed_or_traffic_is_drawn_afresh(other: dict) -> None:
    arguments = {"config": CONFIGS[0], "seed": 4, "spikes": None} | other
    fresh, _ = _requests(**arguments)
    with replaying_traffic():
        _requests(CONFIGS[0])
        replayed, source = _requests(**arguments)
    _assert_same(replayed, fresh)
    assert source._blocks_copied == 0


def test_streams_that_drew_before_are_not_recorded() -> None:
    streams = RandomStreams(4)
    streams.generator("traffic").random(3)  # the stream has moved on: its blocks are not a fresh run's
    with replaying_traffic():
        source = TrafficSource.for_run(TrafficConfig.model_validate(CONFIGS[0]), [], streams)
        assert source._recording is None


def test_recorded_blocks_are_read_only_and_bounded() -> None:
    with replaying_traffic(most_requests=5_000):
        _requests(CONFIGS[0])
        recording = traffic_replay._replay.latest
    assert 5_000 <= recording.requests < 5_000 + 3_000  # the block that crossed the bound is the last
    with pytest.raises(ValueError, match="read-only"):
        recording.blocks[0].fields["arrival"][0] = 1.0
    assert traffic_replay._replay is None  # off again after the block


def test_requests_are_handed_out_read_only() -> None:
    # A recording keeps views of the very arrays handed out: nobody may write into them.
    (batch, *_), _ = _requests(CONFIGS[0])
    for name in RequestBatch.FIELDS:
        with pytest.raises(ValueError, match="read-only"):
            getattr(batch, name)[:1] = 0


@pytest.mark.parametrize(("seeds", "replayed"), [((1, 1, 2, 2), True), ((1, 2, 1, 2), False), ((3,), False)])
def test_work_is_replayed_only_where_a_seeds_runs_follow_one_another(monkeypatch, seeds: tuple[int, ...],
                                                                     replayed: bool) -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    work = [(scenario, Case("immediate", seed)) for seed in seeds]
    calls: list[int] = []

    def spy(*args, **kwargs):
        calls.append(1)
        return contextlib.nullcontext()

    monkeypatch.setattr(runner, "replaying_traffic", spy)
    monkeypatch.setattr(runner, "run_case", lambda scenario, case: {})
    list(execute(work, executor="serial"))
    runner._run_batch(work)
    assert calls == ([1, 1] if replayed else [])


def test_no_replay_outside_the_block() -> None:
    _, source = _requests(CONFIGS[0])
    assert source._recording is None


def test_replay_with_the_drawer_thread_hands_out_the_same_requests(monkeypatch) -> None:
    monkeypatch.setattr(draw_ahead, "_enabled", True)
    monkeypatch.setattr(draw_ahead, "LEAST_PER_BLOCK", 0)
    fresh, _ = _requests(CONFIGS[1])
    with replaying_traffic(most_requests=10_000):
        _requests(CONFIGS[1])
        replayed, source = _requests(CONFIGS[1])
    _assert_same(replayed, fresh)
    assert source._blocks_copied > 0


@pytest.mark.parametrize("path", ["serial", "worker batch"])
def test_a_comparison_gives_the_same_rows_replayed_or_not(monkeypatch, path: str) -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    work = [(scenario, Case(label, seed)) for seed in (1, 2) for label in ("canary", "immediate")]
    copied: list[int] = []
    copy_block = TrafficSource._copy_block

    def counted(self, *args):
        copied.append(1)
        return copy_block(self, *args)

    monkeypatch.setattr(TrafficSource, "_copy_block", counted)

    def rows() -> list[dict]:
        return list(execute(work, executor="serial")) if path == "serial" else runner._run_batch(work)

    replayed = rows()
    assert len(copied) == 2 * 360  # each seed's second strategy copies the first's hour (360 blocks of 10 s)
    monkeypatch.setattr(runner, "replaying_traffic", contextlib.nullcontext)
    drawn = rows()
    assert len(copied) == 2 * 360
    assert repr(replayed) == repr(drawn)  # repr: a NaN equals itself
    assert replayed[0]["requests"] == run(scenario, "canary", 1).requests
