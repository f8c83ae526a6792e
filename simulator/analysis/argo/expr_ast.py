"""The syntax tree of a condition: small frozen nodes, each with the column it starts at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Node", "Literal", "Variable", "Element", "Unary", "Binary", "Index", "Slice", "Call", "Predicate",
           "ArrayLiteral", "Conditional"]

@dataclass(frozen=True, slots=True)
class Literal:
    """A number, string, ``true``, ``false`` or ``nil``."""

    value: None | bool | int | float | str
    column: int


@dataclass(frozen=True, slots=True)
class Variable:
    """``result``, the measured value."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Element:
    """``#``: the element a predicate (``{# < 0.5}``) is applied to."""

    column: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``!x``, ``not x``, ``-x``, ``+x``."""

    operator: str
    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    """``left <operator> right``."""

    operator: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class Index:
    """``target[index]`` (a negative index counts from the end, as in expr)."""

    target: Node
    index: Node
    column: int


@dataclass(frozen=True, slots=True)
class Slice:
    """``target[start:stop]``, either bound optional."""

    target: Node
    start: Node | None
    stop: Node | None
    column: int


@dataclass(frozen=True, slots=True)
class Predicate:
    """The body of ``{...}`` in ``all(result, {# < 0.5})``, applied to each element."""

    body: Node
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``len(result)``, ``all(result, {# < 0.5})``."""

    function: str
    arguments: tuple[Node, ...]
    column: int


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    """``[1, 2, 3]``."""

    items: tuple[Node, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Conditional:
    """``condition ? then : otherwise``."""

    condition: Node
    then: Node
    otherwise: Node
    column: int


Node: TypeAlias = (Literal | Variable | Element | Unary | Binary | Index | Slice | Predicate | Call | ArrayLiteral
                   | Conditional)
