"""The shape of a scenario's ``expect`` block, checked when the scenario is read.

::

    expect:
      confidence: 0.95          # optional, for every label: the whole interval must hold
      canary:                   # a strategy label
        confidence: 0.99        # optional, for this label only
        rolled_back: ">= 0.9"

Only the shape is checked here (a confidence between 0 and 1, a map per
label); the names of the figures and the conditions are parsed by
:mod:`simulator.check.expectation_syntax`, which knows the figures.
"""

from __future__ import annotations

from typing import Any

from simulator.errors import ScenarioError
from simulator.scenario.validation_errors import describe_value, one_line

__all__ = ["check_expect_block", "check_confidence"]


def check_confidence(value: Any, path: str) -> float:
    """``value`` as a confidence level, a number strictly between 0 and 1; else a :class:`ScenarioError` at ``path``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ScenarioError(
            f"got {describe_value(value)}; expected a confidence level between 0 and 1 (exclusive), e.g. 0.95",
            path=path, value=value,
        )
    return float(value)


def check_expect_block(raw: Any) -> dict[str, Any]:
    """The ``expect`` block as written, its shape checked; ``None`` is an empty block."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(
            f"got {describe_value(raw)}; expected a map from a strategy label to its expectations "
            "(and an optional confidence)",
            path="expect", value=raw,
        )
    for label, block in raw.items():
        path = f"expect.{one_line(str(label))}"
        if label == "confidence":
            check_confidence(block, path)
        elif not isinstance(block, dict):
            raise ScenarioError(
                f"got {describe_value(block)}; expected a map of expectations such as {{rolled_back: \">= 0.9\"}}",
                path=path, value=block,
            )
        elif "confidence" in block:
            check_confidence(block["confidence"], f"{path}.confidence")
    return raw
