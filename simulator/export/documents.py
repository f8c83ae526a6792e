"""Manifests as multi-document YAML text, with a header of comments that says where they came from.

The header names the scenario and the strategy, how to run the manifests
back (``strategies: {NAME: {from: FILE}}``), which Services and series the
queries read, and every :class:`~simulator.export.context.Approximation`
under the key it concerns. Queries are written as literal blocks (``|``), so
they read as they were built; keys keep the order they were given in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import yaml

from simulator.export.context import Approximation

__all__ = ["render_documents"]

_WIDTH = 110


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes text with line breaks as literal blocks, and every repeated value in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _comment(lines: Sequence[str]) -> str:
    out: list[str] = []
    for line in lines:
        wrapped = textwrap.wrap(line, _WIDTH - 2, subsequent_indent="    ", break_on_hyphens=False) or [""]
        out.extend(f"# {part}".rstrip() for part in wrapped)
    return "\n".join(out) + "\n"


def render_documents(documents: Sequence[dict[str, Any]], header: Sequence[str],
                     approximations: Sequence[Approximation]) -> str:
    """The documents as one YAML text, ``header`` lines and the approximations first, as comments."""
    lines = list(header)
    if approximations:
        lines.append("Approximations (the rest is carried out as the simulator does; see docs/export.md):")
        lines.extend(f"- {note}" for note in approximations)
    else:
        lines.append("Approximations: none beyond those every export makes (docs/export.md).")
    body = "---\n".join(yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=_WIDTH, allow_unicode=True)
                        for document in documents)
    return _comment(lines) + body
