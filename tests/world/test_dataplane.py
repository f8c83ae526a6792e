"""Routing requests to versions by their draws and the traffic fractions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.world.dataplane import route_versions


def _searched(draws: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(fractions)
    cumulative[-1] = np.inf
    return np.searchsorted(cumulative, draws, side="right")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.1, 0.25, 1.0, 3.0, 1e-300]), min_size=1, max_size=5),
       st.lists(st.floats(min_value=0.0, max_value=1.0, exclude_max=True), min_size=1, max_size=50))
def test_routing_lands_each_draw_where_the_cumulative_fractions_put_it(weights: list[float],
                                                                        draws: list[float]) -> None:
    fractions = np.asarray(weights) / (sum(weights) or 1.0)
    u = np.asarray(draws + [0.0, np.nextafter(1.0, 0.0)])
    assert np.array_equal(route_versions(u, fractions), _searched(u, fractions))


def test_one_version_taking_everything_gets_every_request() -> None:
    u = np.random.default_rng(1).random(1000)
    assert (route_versions(u, np.array([0.0, 1.0, 0.0])) == 1).all()
    assert (route_versions(u, np.array([1.0, 0.0])) == 0).all()
    split = route_versions(u, np.array([0.5, 0.5]))
    assert 0 < split.sum() < 1000


def test_a_joined_chunk_copies_only_the_fields_read(monkeypatch) -> None:
    from simulator.world.dataplane import JoinedChunk

    parts = {"arrival": [np.array([1.0]), np.array([2.0, 3.0]), np.array([])],
             "u_shadow": [np.array([0.5]), np.array([0.1, 0.2]), np.array([])]}
    chunk = JoinedChunk(parts)
    joined: list[int] = []
    real = np.concatenate
    monkeypatch.setattr(np, "concatenate", lambda arrays: joined.append(len(arrays)) or real(arrays))
    assert np.array_equal(chunk["arrival"], [1.0, 2.0, 3.0])
    assert chunk["arrival"] is chunk["arrival"]  # joined once
    assert joined == [3]
    assert set(chunk) == {"arrival", "u_shadow"} and len(chunk) == 2 and "u_shadow" in chunk
    assert chunk.get("u_segment") is None
    assert joined == [3]  # u_shadow, never read, never joined
