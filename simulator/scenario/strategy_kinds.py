"""Strategy kinds and the names a scenario may give them (``Canary``, ``BlueGreen``, ``blue-green`` ...)."""

from __future__ import annotations

import re

from simulator.scenario.base import suggest

__all__ = ["STRATEGY_KINDS", "resolve_strategy_kind"]

STRATEGY_KINDS = ("canary", "blue_green", "rolling", "immediate", "ab_test", "shadow")
"""Every strategy kind, in the order the docs list them."""

_ALIASES = {
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
}


def resolve_strategy_kind(name: str) -> str:
    """Map a strategy name or alias (case-insensitive) to its kind, or raise ``ValueError``."""
    key = re.sub(r"[\s_\-]", "", name).lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(
        f"unknown strategy kind '{name}'{suggest(name, list(STRATEGY_KINDS) + ['BlueGreen', 'RollingUpdate'])}; "
        f"expected one of: {', '.join(STRATEGY_KINDS)} (set it with the 'strategy' key)"
    )
