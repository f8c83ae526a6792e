"""Quantities with units, as scenario files write them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.units import format_duration, parse_duration, parse_latency, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45), ("5m", 300), ("2h", 7200), ("10d", 864000), ("250ms", 0.25), ("1w", 604800),
        ("PT5M", 300), ("P7D", 604800), ("PT30S", 30), ("P1DT2H", 93600), ("PT1H30M", 5400), ("PT0.5S", 0.5),
        (90, 90), (1.5, 1.5), ("1.5", 1.5), (" 5 m ", 300), ("5min", 300),
    ],
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5 parsecs", "-5s", "P", "PT", "abc", None, True, [1], "nan", "inf"])
def test_bad_durations_say_what_was_expected(text) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("200/s", 200), ("12000/min", 200), ("3600/h", 1), ("86400/day", 1), (50, 50), ("7.5", 7.5)],
)
def test_rates(text, per_second) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["fast", "200/fortnight", "-3/s", None])
def test_bad_rates(text) -> None:
    with pytest.raises(ValueError, match="expected a rate"):
        parse_rate(text)


@pytest.mark.parametrize(("text", "seconds"), [("40ms", 0.04), ("1.5s", 1.5), ("250us", 250e-6), (0.2, 0.2)])
def test_latencies(text, seconds) -> None:
    assert parse_latency(text) == pytest.approx(seconds)


def test_bad_latency_says_latency() -> None:
    with pytest.raises(ValueError, match="expected a latency"):
        parse_latency("slow")


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_bare_numbers_are_seconds(value: float) -> None:
    assert parse_duration(value) == value
    assert parse_duration(f"{value!r}s") == pytest.approx(value)


@given(st.integers(min_value=0, max_value=10**6))
def test_minutes_and_iso_agree(minutes: int) -> None:
    assert parse_duration(f"{minutes}m") == parse_duration(f"PT{minutes}M") == minutes * 60


def test_format_duration() -> None:
    assert format_duration(42) == "42.0s"
    assert format_duration(345) == "5m 45s"
    assert format_duration(7500) == "2h 05m"
    assert format_duration(3 * 86400 + 7200) == "3d 02h"
    assert not math.isnan(parse_duration("0s"))


@pytest.mark.parametrize("parse", [parse_duration, parse_rate, parse_latency])
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), ".nan", ".inf", "1e400", 10**400, True, False, -1e-300],
)
def test_no_nan_infinity_boolean_or_negative_quantity(parse, value) -> None:
    with pytest.raises(ValueError, match="expected a"):
        parse(value)


def test_an_iso_duration_too_large_for_a_float_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("P" + "9" * 400 + "W")


@pytest.mark.parametrize(("parse", "text"), [(parse_duration, "-0s"), (parse_duration, -0.0), (parse_rate, "-0/s")])
def test_negative_zero_is_zero(parse, text) -> None:
    value = parse(text)
    assert value == 0 and math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize("parse", [parse_duration, parse_rate])
def test_long_text_is_rejected_at_once(parse) -> None:
    # a run of spaces between a number and a stray character once took quadratic time
    with pytest.raises(ValueError, match="expected a"):
        parse("1" + " " * 100_000 + "x")
    with pytest.raises(ValueError, match="expected a"):
        parse("1" * 65)
