"""The one-pass count of user requests gives every metric array bit for bit as the array-by-array path does."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.world.metrics import FinishedRequests, MetricStore, Status

VERSIONS = ["v1", "v2", "v3"]
USERS = 50


def chunk(rng: np.random.Generator, n: int, t0: float, *, counterfactual: bool, served_only: bool) -> FinishedRequests:
    """``n`` finished requests arriving from ``t0`` (seconds), of every status unless ``served_only``."""
    arrival = np.sort(rng.uniform(t0, t0 + 60.0, n))
    start = arrival + rng.exponential(0.5, n)
    service = rng.exponential(0.3, n)
    client_end = start + service
    service_end = client_end.copy()
    status = np.full(n, Status.OK) if served_only else rng.choice(
        [Status.OK] * 6 + [Status.TIMEOUT_QUEUED, Status.TIMEOUT_SERVING, Status.DROPPED, Status.CRASHED], n)
    queued, serving = status == Status.TIMEOUT_QUEUED, status == Status.TIMEOUT_SERVING
    start[queued] = client_end[queued] = arrival[queued] + 2.0
    client_end[serving] = arrival[serving] + 2.0
    service_end[serving] = start[serving] + 3.0
    dropped, crashed = status == Status.DROPPED, status == Status.CRASHED
    start[dropped] = client_end[dropped] = arrival[dropped]
    client_end[crashed] = arrival[crashed] + 0.1
    service_end[crashed] = np.minimum(service_end[crashed], client_end[crashed])
    flags = rng.random((5, n))
    return FinishedRequests(
        arrival=arrival, version=rng.integers(0, len(VERSIONS), n), status=status, start=start,
        client_end=client_end, error=(status == Status.OK) & (flags[0] < 0.05), correct=flags[1] < 0.9,
        labelled=flags[2] < 0.3, user=rng.integers(0, USERS, n), shadow=np.zeros(n, dtype=bool),
        true_accuracy=rng.uniform(0.8, 0.95, n),
        baseline_failed=flags[3] < 0.1 if counterfactual else None,
        baseline_correct=flags[4] < 0.9 if counterfactual else None,
        service_end=service_end, synthetic=np.zeros(n, dtype=bool),
    )


def store(slow_above: float | None) -> MetricStore:
    return MetricStore(VERSIONS, bin_seconds=15.0, horizon=600.0, label_delay=30.0, users=USERS,
                       slow_above=slow_above)


def arrays(metrics: MetricStore) -> dict[str, np.ndarray]:
    """Every array a run reads of ``metrics``, the truth settled first."""
    series = metrics.series
    found = {f"series.{name}": value for name, value in vars(series).items() if isinstance(value, np.ndarray)}
    found.update({name: getattr(metrics, name) for name in (
        "true_accuracy_sum", "answered", "busy_seconds", "queue_wait_by_start", "started_by_start", "fine_histogram")})
    found.update({f"totals.{name}": value for name, value in metrics._counts.items()})
    found.update({f"sums.{name}": value for name, value in metrics._sums.items()})
    return found


@pytest.mark.parametrize("slow_above", [None, 0.5])
@pytest.mark.parametrize("counterfactual", [False, True])
@pytest.mark.parametrize("served_only", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_one_pass_and_array_by_array_agree_bit_for_bit(seed: int, served_only: bool, counterfactual: bool,
                                                        slow_above: float | None) -> None:
    rng = np.random.default_rng(seed)
    one_pass, by_array = store(slow_above), store(slow_above)
    for index, t0 in enumerate([0.0, 60.0, 120.0, 180.0, 240.0, 300.0, 640.0]):  # the last ends past the bins
        done = chunk(rng, 400, t0, counterfactual=counterfactual, served_only=served_only)
        if index == 5:  # the window ends inside the last chunk: its busy time stops there
            one_pass.close(320.0)
            by_array.close(320.0)
        one_pass._record_users(done)
        by_array._record_mixed(done, shadow=False, synthetic=False)
    got, expected = arrays(one_pass), arrays(by_array)
    assert got.keys() == expected.keys()
    for name, values in expected.items():
        assert got[name].dtype == values.dtype, name
        assert np.array_equal(got[name], values), name
        assert got[name].tobytes() == values.tobytes(), name  # the same bits, signed zeros included
    assert one_pass.totals == by_array.totals
    assert one_pass.series.requests.sum() == 7 * 400
    assert one_pass.series.requests[-1].sum() > 100  # responses past the last bin count in it


def test_record_takes_the_one_pass_for_user_requests_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[str] = []
    metrics = store(None)
    monkeypatch.setattr(metrics, "_record_users", lambda done: taken.append("one pass"))
    monkeypatch.setattr(metrics, "_record_mixed", lambda done, shadow, synthetic: taken.append("by array"))
    done = chunk(np.random.default_rng(3), 50, 0.0, counterfactual=True, served_only=False)
    metrics.record(done)
    assert done.shadow is not None
    done.shadow[7] = True
    metrics.record(done)
    assert taken == ["one pass", "by array"]


def test_the_compiled_status_codes_are_the_data_planes() -> None:
    from simulator.world import kernel

    assert (kernel.STATUS_OK, kernel.STATUS_TIMEOUT_QUEUED, kernel.STATUS_TIMEOUT_SERVING, kernel.STATUS_DROPPED,
            kernel.STATUS_CRASHED) == (Status.OK, Status.TIMEOUT_QUEUED, Status.TIMEOUT_SERVING, Status.DROPPED,
                                       Status.CRASHED)
