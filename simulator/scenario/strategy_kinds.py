"""Strategy kinds and the names a scenario may give them (``Canary``, ``BlueGreen``, ``blue-green`` ...)."""

from __future__ import annotations

import re

from simulator.scenario.base import suggest

__all__ = ["STRATEGY_KINDS", "KIND_ALIASES", "CRITICALITY_STRATEGIES", "resolve_strategy_kind",
           "strategy_for_criticality"]

STRATEGY_KINDS = ("canary", "blue_green", "rolling", "immediate", "ab_test", "shadow", "waves")
"""Every strategy kind, in the order the docs list them."""

KIND_ALIASES = {
    "canary": "canary",
    "bluegreen": "blue_green",
    "rolling": "rolling",
    "rollingupdate": "rolling",
    "immediate": "immediate",
    "recreate": "immediate",
    "abtesting": "ab_test",
    "abtest": "ab_test",
    "ab": "ab_test",
    "shadow": "shadow",
    "waves": "waves",
}
"""Spellings of each kind, lower case without spaces, hyphens or underscores, and the kind they name."""


def resolve_strategy_kind(name: str) -> str:
    """Map a strategy name or alias (case-insensitive) to its kind, or raise ``ValueError``."""
    key = re.sub(r"[\s_\-]", "", name).lower()
    if key in KIND_ALIASES:
        return KIND_ALIASES[key]
    raise ValueError(
        f"unknown strategy kind '{name}'{suggest(name, list(STRATEGY_KINDS) + ['BlueGreen', 'RollingUpdate'])}; "
        f"expected one of: {', '.join(STRATEGY_KINDS)} (set it with the 'strategy' key)"
    )


CRITICALITY_STRATEGIES = {"high": "canary", "medium": "ab_test", "low": "rolling", "validation": "shadow"}
"""Seed guide 002's strategy selection: the default strategy for a model's criticality.

High (fraud, healthcare): canary; medium (recommendations): A/B test; low
(analytics): rolling; validation: shadow.
"""


def strategy_for_criticality(criticality: str) -> str:
    """The default strategy kind of seed guide 002 for ``criticality``, or raise ``ValueError``."""
    key = criticality.strip().lower()
    if key in CRITICALITY_STRATEGIES:
        return CRITICALITY_STRATEGIES[key]
    raise ValueError(
        f"unknown criticality '{criticality}'{suggest(criticality, list(CRITICALITY_STRATEGIES))}; "
        f"expected one of: {', '.join(CRITICALITY_STRATEGIES)} (seed guide 002's strategy selection table)"
    )
