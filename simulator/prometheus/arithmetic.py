"""Sample arithmetic with the results Go's float64 gives, which Prometheus returns.

Python raises where Go returns an IEEE value (``1 / 0``, ``0 ** -1``,
``fmod(inf, 1)``); numpy's float64 scalars follow IEEE 754 and C's ``fmod``
and ``pow``, whose special cases Go's ``math.Mod`` and ``math.Pow`` share.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ARITHMETIC", "COMPARISONS", "apply", "go_max", "go_min"]

ARITHMETIC = ("+", "-", "*", "/", "%", "^")
COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")


def _arithmetic(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    with np.errstate(all="ignore"):
        if op == "/":
            return float(np.float64(left) / np.float64(right))
        if op == "%":
            return float(np.fmod(np.float64(left), np.float64(right)))
        if op == "^":
            return float(np.power(np.float64(left), np.float64(right)))
    raise ValueError(f"arithmetic operator {op!r}; expected one of {' '.join(ARITHMETIC)}")


def _compare(op: str, left: float, right: float) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == ">":
        return left > right
    if op == "<":
        return left < right
    if op == ">=":
        return left >= right
    if op == "<=":
        return left <= right
    raise ValueError(f"comparison operator {op!r}; expected one of {' '.join(COMPARISONS)}")


def apply(op: str, left: float, right: float) -> tuple[float, bool]:
    """``(value, keep)`` of ``left op right`` between two samples.

    Arithmetic keeps every result; a comparison gives the left value and
    whether the comparison holds (NaN compares false, except with ``!=``).
    """
    if op in COMPARISONS:
        return left, _compare(op, left, right)
    return _arithmetic(op, left, right), True


def go_max(a: float, b: float) -> float:
    """Go's ``math.Max``: NaN if either is NaN, +Inf if either is +Inf."""
    if math.isinf(a) and a > 0 or math.isinf(b) and b > 0:
        return math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == 0 and b == 0:
        return a if math.copysign(1, a) > 0 else b
    return a if a > b else b


def go_min(a: float, b: float) -> float:
    """Go's ``math.Min``: NaN if either is NaN, -Inf if either is -Inf."""
    if math.isinf(a) and a < 0 or math.isinf(b) and b < 0:
        return -math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == 0 and b == 0:
        return a if math.copysign(1, a) < 0 else b
    return a if a < b else b
