"""The load tester: a run per call unless the task is still going; arrivals on the workers' ticks; fixed draws."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.random_streams import RandomStreams
from simulator.world.load_tester import LOAD_TESTER_TIMEOUT, LoadTester, LoadTestRun


def new_load_tester() -> LoadTester:
    return LoadTester(RandomStreams(7))


def test_a_call_while_the_task_s_run_is_going_starts_nothing_its_end_included() -> None:
    loads = new_load_tester()
    first = loads.call("podinfo.test hey", 1, 90.0, workers=2, period=0.1, duration=60.0)
    assert first is not None and first.end == 150.0
    assert loads.call("podinfo.test hey", 1, 120.0, workers=2, period=0.1, duration=60.0) is None
    assert loads.call("podinfo.test hey", 1, 150.0, workers=2, period=0.1, duration=60.0) is None  # at its end
    second = loads.call("podinfo.test hey", 1, 150.001, workers=2, period=0.1, duration=60.0)
    assert second is not None and second is not first and loads.runs == [first, second]


def test_another_task_runs_beside_a_running_one() -> None:
    loads = new_load_tester()
    assert loads.call("a.test hey -z 1m", 1, 0.0, workers=1, period=1.0, duration=60.0) is not None
    assert loads.call("b.test hey -z 1m", 1, 10.0, workers=1, period=1.0, duration=60.0) is not None
    assert loads.running("a.test hey -z 1m", 60.0) is not None and loads.running("a.test hey -z 1m", 61.0) is None


def test_each_worker_sends_on_its_ticks_from_one_period_after_the_start() -> None:
    run = new_load_tester().call("t", 2, 30.0, workers=3, period=0.5, duration=2.0)
    assert run is not None and run.requests == 12
    batch, versions = run.take_until(1000.0)
    assert list(batch.arrival) == [30.5] * 3 + [31.0] * 3 + [31.5] * 3 + [32.0] * 3
    assert (versions == 2).all() and (batch.user == -1).all() and (batch.u_mirror == 1.0).all()
    assert run.exhausted and len(run.take_until(2000.0)[0]) == 0


def test_arrivals_before_the_end_asked_for_only() -> None:
    run = new_load_tester().call("t", 0, 0.0, workers=2, period=0.1, duration=60.0)
    assert run is not None
    batch, _ = run.take_until(1.0)
    assert len(batch) == 2 * 9 and batch.arrival.max() < 1.0  # ticks 0.1 .. 0.9; 1.0 is not before 1.0
    assert run.take_until(1.0)[0].arrival.size == 0
    assert run.take_until(1.05)[0].arrival.tolist() == pytest.approx([1.0, 1.0])


def test_the_draws_do_not_depend_on_where_the_slices_end() -> None:
    def run_taken(ends: list[float]) -> dict[str, np.ndarray]:
        run = new_load_tester().call("t", 1, 5.0, workers=3, period=0.01, duration=40.0)  # 4,000 ticks: several blocks
        assert run is not None
        parts = [run.take_until(end)[0] for end in ends]
        return {name: np.concatenate([getattr(part, name) for part in parts]) for name in ("arrival", "u_service",
                                                                                           "z_service", "u_error")}

    whole = run_taken([100.0])
    sliced = run_taken([5.5, 7.0, 7.0, 13.333, 20.0, 44.9, 100.0])
    assert len(whole["arrival"]) == 12_000
    for name, values in whole.items():
        assert np.array_equal(values, sliced[name]), name


def first_draws(loads: LoadTester, task: str) -> np.ndarray:
    run = loads.call(task, 0, 0.0, workers=1, period=1.0, duration=10.0)
    assert run is not None
    return run.take_until(20.0)[0].u_service


def test_runs_draw_from_their_own_streams_the_same_for_the_same_seed() -> None:
    loads = new_load_tester()
    first, second = first_draws(loads, "a"), first_draws(loads, "b")
    assert not np.array_equal(first, second)
    assert np.array_equal(first, first_draws(new_load_tester(), "a"))
    assert not np.array_equal(first, first_draws(LoadTester(RandomStreams(8)), "a"))


def test_the_load_tester_stops_a_command_after_its_timeout() -> None:
    run = LoadTestRun("t", 0, 0.0, 1, 10.0, 7200.0, np.random.default_rng(0))
    assert run.duration == LOAD_TESTER_TIMEOUT and run.requests == 360
