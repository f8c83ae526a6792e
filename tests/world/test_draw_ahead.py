"""Drawing requests ahead on a second thread: the same requests, a thread that stops, errors that surface."""

from __future__ import annotations

import gc
import json
import math
import threading
import time

import numpy as np
import pytest

from simulator.driver import run
from simulator.experiment import runner
from simulator.random_streams import RandomStreams
from simulator.scenario import load_scenario
from simulator.scenario.world_config import TrafficConfig
from simulator.world import draw_ahead
from simulator.world.draw_ahead import AHEAD_REQUESTS, AHEAD_SECONDS, drawing_ahead, drawing_in_line
from simulator.world.traffic import RateFunction, RequestBatch, TrafficSource
from tests.helpers import SCENARIOS

CONFIGS = [
    {"rate": "200/s"},
    {"rate": 50, "pattern": {"kind": "diurnal", "amplitude": 0.5, "period": "20m", "peak_at": "5m"}},  # thinned
    {"rate": 100, "pattern": [{"kind": "spike", "at": "2m", "factor": 4, "for": "3m"}]},
    {"rate": "40000/s"},  # the drawer stops early, by requests (AHEAD_REQUESTS), not seconds
]
ENDS = [0.5, 0.5, 7.0, 61.0, 61.25, 200.0, 419.9, 420.0, 900.0]


@pytest.fixture
def ahead(monkeypatch):
    """Sources made in the test draw ahead, whatever the machine and their rate."""
    monkeypatch.setattr(draw_ahead, "_enabled", True)
    monkeypatch.setattr(draw_ahead, "LEAST_PER_BLOCK", 0)
    monkeypatch.setattr(draw_ahead, "MOST_PER_BLOCK", math.inf)


def _source(config: dict, seed: int = 4) -> TrafficSource:
    streams = RandomStreams(seed)
    return TrafficSource(RateFunction(TrafficConfig.model_validate(config)), streams.generator("traffic"), 1000,
                         streams.generator("users"), streams.generator("mirror"))


def _assert_same(parts: list[RequestBatch], reference: list[RequestBatch]) -> None:
    for part, expected in zip(parts, reference, strict=True):
        for name in RequestBatch.FIELDS:
            assert np.array_equal(getattr(part, name), getattr(expected, name)), name


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("config", CONFIGS, ids=["constant", "diurnal", "spike", "high-rate"])
def test_drawing_ahead_hands_out_the_same_requests_as_drawing_in_line(ahead, config: dict) -> None:
    ends = ENDS if "40000" not in str(config["rate"]) else [end / 20 for end in ENDS]
    with drawing_in_line():
        in_line = _source(config)
    drawn = _source(config)
    assert drawn._ahead and not in_line._ahead
    _assert_same([drawn.take_until(end) for end in ends], [in_line.take_until(end) for end in ends])
    assert drawn._drawer is not None
    drawn.close()


def test_the_drawer_runs_ahead_by_its_lead_and_no_further(ahead) -> None:
    source = _source({"rate": "200/s"})
    source.take_until(30.0)
    assert _wait_for(lambda: source._generated_until >= 30.0 + AHEAD_SECONDS)
    time.sleep(0.05)
    with source._lock:
        assert source._generated_until < 30.0 + AHEAD_SECONDS + 10.0  # one block past the lead at most
    fast = _source({"rate": "100000/s"})
    fast.take_until(0.1)
    assert _wait_for(lambda: fast._filled - fast._first >= AHEAD_REQUESTS)
    time.sleep(0.05)
    with fast._lock:
        assert fast._generated_until <= 20.0  # two blocks of a million requests, far short of the lead in seconds
    source.close()
    fast.close()


def test_a_closed_source_stops_its_thread_and_draws_on_in_line(ahead) -> None:
    with drawing_in_line():
        in_line = _source({"rate": 30})
    source = _source({"rate": 30})
    first = source.take_until(100.0)
    drawer = source._drawer
    assert drawer is not None and drawer._thread.is_alive()
    source.close()
    assert not drawer._thread.is_alive()
    _assert_same([first, source.take_until(700.0)], [in_line.take_until(100.0), in_line.take_until(700.0)])
    assert source._drawer is None


def test_a_source_dropped_unclosed_lets_its_thread_end(ahead) -> None:
    source = _source({"rate": 30})
    source.take_until(10.0)
    assert source._drawer is not None
    thread = source._drawer._thread
    del source
    gc.collect()
    thread.join(timeout=10.0)
    assert not thread.is_alive()


def test_an_error_while_drawing_is_raised_in_the_runs_thread(ahead) -> None:
    source = _source({"rate": 30})
    real = source.rate.max_rate

    def broken(start: float, end: float) -> float:
        if start >= 300.0:
            raise RuntimeError("rate unavailable")
        return real(start, end)

    source.rate.max_rate = broken  # type: ignore[method-assign]
    assert len(source.take_until(100.0)) > 0
    with pytest.raises(RuntimeError, match="rate unavailable"):
        source.take_until(400.0)


def test_a_sweeps_worker_draws_in_line(ahead, monkeypatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(runner, "run_case", lambda scenario, case: seen.append(drawing_ahead()) or {})
    runner._run_batch([(None, runner.Case("canary", 1)), (None, runner.Case("canary", 2))])  # type: ignore[list-item]
    assert seen == [False, False]
    assert drawing_ahead()  # and as before once the batch is done


def test_light_and_heavy_traffic_is_drawn_in_line(monkeypatch) -> None:
    monkeypatch.setattr(draw_ahead, "_enabled", True)
    assert not _source({"rate": "400/s"})._ahead  # 4,000 requests a block
    assert _source({"rate": "500/s"})._ahead
    assert _source({"rate": 100, "pattern": [{"kind": "spike", "at": "0s", "factor": 5, "for": "1m"}]})._ahead
    assert _source({"rate": "30000/s"})._ahead
    assert not _source({"rate": "31000/s"})._ahead  # blocks larger than the lead and the caches


@pytest.mark.parametrize("name", ["quickstart.yaml", "multi-region.yaml"])
def test_a_run_gives_the_same_result_drawn_ahead_or_in_line(ahead, name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    label = scenario.labels[0]
    threads = threading.active_count()
    ahead_result = json.dumps(run(scenario, label).to_dict(), sort_keys=True)
    assert _wait_for(lambda: threading.active_count() <= threads)  # the run's drawers stopped with it
    with drawing_in_line():
        in_line = json.dumps(run(scenario, label).to_dict(), sort_keys=True)
    assert ahead_result == in_line


def test_a_drawer_stopped_on_its_own_thread_does_not_wait_on(ahead) -> None:
    """Dropping the last reference inside the drawer's own check stops it there; it must not wait for a notify."""
    checking, go_on = threading.Event(), threading.Event()
    hold = [False]

    class Held(TrafficSource):
        def _far_enough_ahead(self) -> bool:
            far = super()._far_enough_ahead()
            if hold[0] and far:
                hold[0] = False
                checking.set()
                go_on.wait(5.0)
            return far

    streams = RandomStreams(5)
    source = Held(RateFunction(TrafficConfig.model_validate({"rate": 2000})), streams.generator("traffic"))
    source.take_until(10.0)
    drawer = source._drawer
    assert drawer is not None
    assert _wait_for(source._far_enough_ahead)
    hold[0] = True
    with source._lock:
        source._lock.notify_all()
    assert checking.wait(5.0)
    del source  # the drawer now holds the only reference, inside its check
    go_on.set()
    drawer._thread.join(timeout=0.8)  # promptly, not after a bounded wait
    assert drawer.stopped and not drawer.alive()


def test_a_run_that_fails_stops_its_drawer(ahead, monkeypatch) -> None:
    from simulator.errors import EngineError
    from simulator.world.world import World

    def broken(self) -> None:
        raise RuntimeError("finish failed")

    monkeypatch.setattr(World, "finish", broken)
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    threads = threading.active_count()
    gc.disable()  # the drawer must stop without the collector's help
    try:
        with pytest.raises(EngineError, match="finish failed"):
            run(scenario, scenario.labels[0])
        assert _wait_for(lambda: threading.active_count() <= threads, seconds=5.0)
    finally:
        gc.enable()
