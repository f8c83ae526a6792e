"""The run's event log: every command, fault, replica change and decision, timed."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Event"]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at simulated time ``t`` (seconds)."""

    t: float
    kind: str
    detail: str

    def to_dict(self) -> dict[str, object]:
        """As a JSON-ready mapping ``{"t", "kind", "detail"}``."""
        return asdict(self)
