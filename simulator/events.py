"""The run's event log: every command, fault, replica change and decision, timed.

An event carries a human sentence (``detail``) and the same facts as
structured fields (``data``: version, replicas, weights, step, measured
values ...), so programs and tests read the fields, never the prose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event"]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at simulated time ``t`` (seconds).

    ``data`` holds JSON-ready fields whose names are the same for every event
    of one ``kind`` (see docs/architecture.md for the list).
    """

    t: float
    kind: str
    detail: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready mapping ``{"t", "kind", "detail", "data"}``."""
        return {"t": self.t, "kind": self.kind, "detail": self.detail, "data": dict(self.data)}
