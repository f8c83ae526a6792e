"""The one-pass outcomes of plain chunks (no error fault, no drift, no shadow) are those of the general path."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.scenario.drift_config import DEFAULT_FEATURES
from simulator.world.drift import DriftSchedule
from simulator.world.faults import FaultSchedule
from simulator.world.metrics import FinishedRequests, Status
from simulator.world.outcomes import RequestOutcomes
from simulator.world.serving import SERVED_FIELDS

VERSIONS = ["v1", "v2", "v3"]


def outcomes(baseline: int | None) -> RequestOutcomes:
    accuracies = np.array([0.92, 0.85, 0.97])
    drift = DriftSchedule(DEFAULT_FEATURES, [], None, VERSIONS, accuracies)
    return RequestOutcomes(FaultSchedule([], VERSIONS), np.array([0.001, 0.2, 0.03]), drift, 0.3, 0.8,
                           baseline=baseline)


def served(seed: int, n: int, synthetic: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    chunk = {name: rng.random(n) for name in SERVED_FIELDS}
    chunk["version"] = rng.integers(0, len(VERSIONS), n)
    chunk["origin"] = chunk["version"]
    chunk["status"] = rng.choice([Status.OK] * 5 + [Status.TIMEOUT_SERVING, Status.DROPPED, Status.CRASHED], n)
    chunk["replica"] = rng.integers(0, 10, n)
    chunk["user"] = rng.integers(0, 100, n)
    chunk["shadow"] = np.zeros(n, dtype=bool)
    chunk["synthetic"] = rng.random(n) < 0.2 if synthetic else np.zeros(n, dtype=bool)
    return chunk


def fields(done: FinishedRequests) -> dict[str, np.ndarray | None]:
    return {name: getattr(done, name) for name in FinishedRequests.__dataclass_fields__}


@pytest.mark.parametrize("synthetic", [False, True])
@pytest.mark.parametrize("baseline", [None, 0, 1])
@pytest.mark.parametrize("seed", [1, 2])
def test_plain_and_general_outcomes_agree(seed: int, baseline: int | None, synthetic: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    chunk = served(seed, 2_000, synthetic)
    plain = outcomes(baseline)
    assert plain._plain(chunk)
    one_pass = fields(plain.decide(chunk))
    general = outcomes(baseline)
    monkeypatch.setattr(general, "_plain", lambda arrays: False)
    expected = fields(general.decide(chunk))
    for name, values in expected.items():
        if values is None:
            assert one_pass[name] is None, name
        else:
            assert one_pass[name] is not None, name
            assert np.array_equal(one_pass[name], values), name
            assert one_pass[name].dtype == values.dtype, name
    assert expected["error"].any() and expected["labelled"].any()


def test_a_chunk_with_shadow_copies_is_not_plain() -> None:
    chunk = served(3, 100, False)
    chunk["shadow"][5] = True
    assert not outcomes(0)._plain(chunk)
