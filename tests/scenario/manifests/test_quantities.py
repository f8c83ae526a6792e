"""Durations as Go and Kubernetes write them, and int-or-percent pod counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.scenario.manifests.quantities import (
    flagger_interval_seconds,
    format_go_duration,
    parse_go_duration,
    pause_seconds,
    scaled_value,
)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("1m", 60.0), ("1h30m", 5400.0), ("500ms", 0.5), ("1.5h", 5400.0), ("2h45m10s", 9910.0),
    ("300us", 300e-6), ("300µs", 300e-6), ("100ns", 1e-7), ("0", 0.0), ("+5s", 5.0), (".5s", 0.5), ("1m0.5s", 60.5),
])
def test_go_durations_in_seconds(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(("text", "expected"), [
    ("30", "a number needs its unit, such as 30s"), ("1d", "a Go duration"), ("1 m", "a Go duration"),
    ("m", "a Go duration"), ("", "a Go duration"), ("-5s", "not a negative one"), ("1e3s", "a Go duration"),
    ("999999999h", "at most"), ("5" * 100 + "s", "a Go duration"),
])
def test_what_go_refuses_is_refused_with_the_form_expected(text: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_go_duration(text)


@pytest.mark.parametrize(("value", "seconds"), [
    (30, 30), ("45", 45), ("1m", 60), ("1500ms", 1), ("500ms", 0), ("1h", 3600), (0, 0),
])
def test_argo_pauses_are_whole_seconds_from_an_int_or_a_string(value: object, seconds: int) -> None:
    assert pause_seconds(value) == seconds


@pytest.mark.parametrize("value", [-1, "-5", "5 minutes", True, 1.5, None, [30]])
def test_argo_refuses_these_pauses(value: object) -> None:
    with pytest.raises(ValueError):
        pause_seconds(value)


@pytest.mark.parametrize(("value", "seconds"), [("1m", 60.0), ("30s", 30.0), ("1m30s", 90.0), ("90s", 90.0)])
def test_flagger_intervals(value: str, seconds: float) -> None:
    assert flagger_interval_seconds(value) == seconds


@pytest.mark.parametrize("value", ["1h", "2h30m", "s", 60, "1.5m"])
def test_flagger_refuses_what_its_crd_pattern_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        flagger_interval_seconds(value)


@pytest.mark.parametrize(("value", "total", "up", "down"), [
    ("25%", 6, 2, 1), ("25%", 4, 1, 1), ("0%", 10, 0, 0), ("100%", 3, 3, 3), (2, 10, 2, 2), ("33%", 10, 4, 3),
])
def test_percentages_round_as_kubernetes_does(value: int | str, total: int, up: int, down: int) -> None:
    assert scaled_value(value, total, round_up=True) == up  # maxSurge
    assert scaled_value(value, total, round_up=False) == down  # maxUnavailable


@given(hours=st.integers(0, 50), minutes=st.integers(0, 59), seconds=st.integers(0, 59))
def test_written_durations_read_back(hours: int, minutes: int, seconds: int) -> None:
    total = hours * 3600 + minutes * 60 + seconds
    assert parse_go_duration(format_go_duration(total)) == total
    assert parse_go_duration(f"{hours}h{minutes}m{seconds}s") == total
