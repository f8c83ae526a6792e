"""Rollback rules that a scenario could never evaluate: dropped from the defaults, rejected when written.

A rule that cannot be evaluated never passes (it leaves a check
inconclusive). Two rules depend on what the scenario measures at all:

* ``driftScore`` needs a drift monitor (``monitoring.drift``) to report a score;
* ``accuracyDrop`` needs labels (``monitoring.labels.fraction`` above 0).

Where the scenario lacks the source, the seed guide's *default* rules (a
strategy without a ``rollbackThresholds`` block) leave the rule out, and the
strategy's checks say nothing of it; a rule the file *writes* is an error,
since no run could ever evaluate it.
"""

from __future__ import annotations

from typing import Any

from simulator.errors import ScenarioError

__all__ = ["resolve_rule_sources"]

_SOURCES = (
    ("drift_score", "driftScore", "a drift monitor to report a score (monitoring.drift)"),
    ("accuracy_drop", "accuracyDrop", "labels to measure accuracy (monitoring.labels.fraction above 0)"),
)


def resolve_rule_sources(strategies: dict[str, Any], *, drift_monitored: bool, labelled: bool) -> None:
    """Leave out default rules without a source; raise :class:`ScenarioError` for a written one."""
    available = {"drift_score": drift_monitored, "accuracy_drop": labelled}
    for label, config in strategies.items():
        thresholds = getattr(config, "rollback_thresholds", None)
        if thresholds is None:
            continue
        written = "rollback_thresholds" in config.model_fields_set
        dropped: dict[str, None] = {}
        for field, key, needs in _SOURCES:
            value = getattr(thresholds, field)
            if value is None or available[field]:
                continue
            if written:
                raise ScenarioError(
                    f"got {value:g}; expected {needs}: without it the rule could never be evaluated, "
                    "so every check would stay inconclusive",
                    path=f"strategies.{label}.rollbackThresholds.{key}", value=value,
                )
            dropped[field] = None
        if dropped:
            # Frozen models: the resolved rules replace the defaults once, at validation.
            object.__setattr__(config, "rollback_thresholds", thresholds.model_copy(update=dropped))
