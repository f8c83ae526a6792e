"""Label sets and label matchers, as Prometheus has them.

A label set is a tuple of ``(name, value)`` pairs sorted by name, with no
empty values (Prometheus treats an empty value as an absent label), so it is
hashable and orders series the way Prometheus's storage returns them. The
metric name is the label ``__name__``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Labels", "METRIC_NAME", "labels_of", "without_name", "keep_only", "without", "get", "LabelMatcher",
           "format_labels"]

Labels = tuple[tuple[str, str], ...]
"""A label set: ``(name, value)`` pairs sorted by name, none with an empty value."""

METRIC_NAME = "__name__"


def labels_of(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    """The label set of ``pairs`` (a mapping or pairs), sorted, empty values left out."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return tuple(sorted((name, value) for name, value in items if value != ""))


def without_name(labels: Labels) -> Labels:
    """``labels`` without the metric name."""
    return tuple(pair for pair in labels if pair[0] != METRIC_NAME)


def keep_only(labels: Labels, names: Iterable[str]) -> Labels:
    """``labels`` restricted to ``names``."""
    kept = set(names)
    return tuple(pair for pair in labels if pair[0] in kept)


def without(labels: Labels, names: Iterable[str]) -> Labels:
    """``labels`` without ``names``."""
    dropped = set(names)
    return tuple(pair for pair in labels if pair[0] not in dropped)


def get(labels: Labels, name: str) -> str:
    """The value of label ``name``, or ``""`` when absent."""
    for key, value in labels:
        if key == name:
            return value
    return ""


def format_labels(labels: Labels) -> str:
    """``{a="1", b="2"}``, the way Prometheus prints a label set."""
    return "{" + ", ".join(f'{name}="{value}"' for name, value in labels) + "}"


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    """One matcher of a selector: ``name op "value"``; a regex must match the whole value."""

    name: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"label matcher operator {self.op!r}; expected one of =, !=, =~, !~")
        if self.op in ("=~", "!~"):
            object.__setattr__(self, "_pattern", re.compile(self.value))

    def matches(self, value: str) -> bool:
        """Whether a label value (``""`` for an absent label) satisfies the matcher."""
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self._pattern is not None
        found = self._pattern.fullmatch(value) is not None
        return found if self.op == "=~" else not found

    def selects(self, labels: Labels) -> bool:
        """Whether the series with ``labels`` satisfies the matcher."""
        return self.matches(get(labels, self.name))
