"""Evaluating a condition's syntax tree against a measured value, as expr-lang/expr would.

Values are ``None`` (expr's ``nil``), ``bool``, ``int``, ``float``, ``str``
and lists. The rules that matter for a measurement:

* arithmetic on two ints stays an int, except ``/`` (always a float, so
  ``1/0`` is +Inf) and ``**`` (always a float); ``%`` takes ints only and
  keeps the dividend's sign, as Go does;
* ``==`` compares numbers by value (``1 == 1.0``) and anything else only
  with a value of its own type (``true == 1`` is false); NaN equals nothing;
* ``&&``, ``||``, ``!`` and ``? :`` take booleans only, and ``&&``/``||``
  stop at the first operand that decides (``len(result) > 0 && result[0] <
  1`` is false, not an error, on an empty result);
* indexing outside a list (``result[0]`` of ``[]``) is an error; a negative
  index counts from the end.

Any other mix of types is an :class:`ExpressionEvalError`; for Argo that is
a measurement in error. expr checks types before it runs, so a type error
on a branch never taken is an error there but not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from simulator.analysis.argo.expr_ast import (
    ArrayLiteral,
    Binary,
    Call,
    Conditional,
    Element,
    Index,
    Literal,
    Node,
    Predicate,
    Slice,
    Unary,
    Variable,
)

__all__ = ["evaluate", "ExpressionEvalError", "Value", "type_name"]

Value: TypeAlias = None | bool | int | float | str | list[Any]


class ExpressionEvalError(Exception):
    """A condition that cannot be evaluated for this value (an empty result indexed, a type mismatch)."""


_NO_ELEMENT = object()


def type_name(value: object) -> str:
    """The name of a value's type in messages: ``nil``, ``bool``, ``int``, ``float``, ``string``, ``list``."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "list"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: object, right: object) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_equal(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def _pow(base: float, exponent: float) -> float:
    """Go's ``math.Pow``: infinities and NaN where Python would raise."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        odd_integer = float(exponent).is_integer() and int(exponent) % 2 == 1
        return -math.inf if base < 0 and odd_integer else math.inf
    except ValueError:
        if base == 0 and exponent < 0:
            odd_integer = float(exponent).is_integer() and int(exponent) % 2 == 1
            return math.copysign(math.inf, base) if odd_integer else math.inf
        return math.nan


def _divide(left: float, right: float) -> float:
    """IEEE division: ``x/0`` is ±Inf, ``0/0`` NaN, as Go's float division."""
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _round_half_away(value: float) -> float:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even)."""
    if math.isnan(value) or math.isinf(value):
        return value
    return math.copysign(math.floor(abs(value) + 0.5), value)


def _to_index(value: object) -> int:
    if not _is_number(value):
        raise ExpressionEvalError(f"an index must be a number, got {type_name(value)}")
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number) or math.isinf(number):
        raise ExpressionEvalError(f"cannot index with {number}")
    return int(number)


def _truncate(value: float, function: str) -> int:
    if math.isnan(value) or math.isinf(value):
        raise ExpressionEvalError(f"{function}() of {value} has no integer value")
    return int(value)


def _parse_int(text: str, function: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit() or not body.isascii():
        raise ExpressionEvalError(f"{function}() cannot read {text!r} as an integer")
    return int(text)


def _parse_float(text: str, function: str) -> float:
    if not text or text != text.strip() or "_" in text:
        raise ExpressionEvalError(f"{function}() cannot read {text!r} as a number")
    try:
        return float(text)
    except ValueError:
        raise ExpressionEvalError(f"{function}() cannot read {text!r} as a number") from None


def _flatten_numbers(values: Sequence[Value], function: str) -> list[int | float]:
    numbers: list[int | float] = []
    for value in values:
        if isinstance(value, list):
            numbers.extend(_flatten_numbers(value, function))
        elif _is_number(value):
            numbers.append(value)  # type: ignore[arg-type]
        else:
            raise ExpressionEvalError(f"invalid argument for {function} (type {type_name(value)})")
    return numbers


def _sum(values: Sequence[Value], function: str) -> int | float:
    numbers = _flatten_numbers(values, function)
    if any(isinstance(number, float) for number in numbers):
        total = 0.0
        for number in numbers:  # in order, as Go adds them
            total += number
        return total
    return sum(numbers)


class _Evaluator:
    def __init__(self, result: Value) -> None:
        self.result = result

    def run(self, node: Node, element: object = _NO_ELEMENT) -> Value:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Variable):
            return self.result
        if isinstance(node, Element):
            return element  # type: ignore[return-value]
        if isinstance(node, Unary):
            return self.unary(node, element)
        if isinstance(node, Binary):
            return self.binary(node, element)
        if isinstance(node, Index):
            return self.index(node, element)
        if isinstance(node, Slice):
            return self.slice(node, element)
        if isinstance(node, Conditional):
            condition = self.run(node.condition, element)
            if not isinstance(condition, bool):
                raise ExpressionEvalError(f"a condition before '?' must be a bool, got {type_name(condition)}")
            return self.run(node.then if condition else node.otherwise, element)
        if isinstance(node, ArrayLiteral):
            return [self.run(item, element) for item in node.items]
        if isinstance(node, Call):
            return self.call(node, element)
        raise ExpressionEvalError(f"a predicate is only allowed as an argument, at column {node.column}")

    def unary(self, node: Unary, element: object) -> Value:
        operand = self.run(node.operand, element)
        if node.operator == "!":
            if not isinstance(operand, bool):
                raise ExpressionEvalError(f"invalid operation: ! on {type_name(operand)}")
            return not operand
        if not _is_number(operand):
            raise ExpressionEvalError(f"invalid operation: {node.operator} on {type_name(operand)}")
        return -operand if node.operator == "-" else operand  # type: ignore[operator]

    def logical(self, node: Binary, element: object) -> Value:
        left = self.run(node.left, element)
        if not isinstance(left, bool):
            raise ExpressionEvalError(f"invalid operation: {type_name(left)} {node.operator} ...: "
                                      f"both sides must be bool")
        if left == (node.operator == "||"):
            return left
        right = self.run(node.right, element)
        if not isinstance(right, bool):
            raise ExpressionEvalError(f"invalid operation: ... {node.operator} {type_name(right)}: "
                                      f"both sides must be bool")
        return right

    def binary(self, node: Binary, element: object) -> Value:
        operator = node.operator
        if operator in ("&&", "||"):
            return self.logical(node, element)
        left = self.run(node.left, element)
        if operator == "??":
            return left if left is not None else self.run(node.right, element)
        right = self.run(node.right, element)
        if operator == "==":
            return _equal(left, right)
        if operator == "!=":
            return not _equal(left, right)
        if operator == "in":
            if not isinstance(right, list):
                raise ExpressionEvalError(f"invalid operation: in {type_name(right)} (expected a list)")
            return any(_equal(left, item) for item in right)
        mismatch = ExpressionEvalError(
            f"invalid operation: {type_name(left)} {operator} {type_name(right)} (mismatched types)")
        if operator in ("<", "<=", ">", ">="):
            both_numbers = _is_number(left) and _is_number(right)
            if not (both_numbers or (isinstance(left, str) and isinstance(right, str))):
                raise mismatch
            compare: dict[str, Callable[[object, object], bool]] = {
                "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,  # type: ignore[operator]
                ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}  # type: ignore[operator]
            return compare[operator](left, right)
        if operator == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if not (_is_number(left) and _is_number(right)):
            raise mismatch
        return self.arithmetic(operator, left, right)  # type: ignore[arg-type]

    @staticmethod
    def arithmetic(operator: str, left: int | float, right: int | float) -> int | float:
        if operator == "/":
            return _divide(float(left), float(right))
        if operator == "**":
            return _pow(float(left), float(right))
        if operator == "%":
            if not (isinstance(left, int) and isinstance(right, int)):
                raise ExpressionEvalError(f"invalid operation: {type_name(left)} % {type_name(right)} "
                                          f"(% takes integers)")
            if right == 0:
                raise ExpressionEvalError("integer divide by zero")
            remainder = abs(left) % abs(right)  # Go's % keeps the dividend's sign
            return -remainder if left < 0 else remainder
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        return left * right

    def index(self, node: Index, element: object) -> Value:
        target = self.run(node.target, element)
        position = _to_index(self.run(node.index, element))
        if not isinstance(target, (list, str)):
            raise ExpressionEvalError(f"cannot fetch [{position}] from {type_name(target)}"
                                      + (f" {target}" if _is_number(target) else ""))
        length = len(target)
        actual = position + length if position < 0 else position
        if not 0 <= actual < length:
            raise ExpressionEvalError(f"index out of range: {position} (array length is {length})")
        return target[actual]

    def slice(self, node: Slice, element: object) -> Value:
        target = self.run(node.target, element)
        if not isinstance(target, (list, str)):
            raise ExpressionEvalError(f"cannot slice {type_name(target)}")
        start = None if node.start is None else _to_index(self.run(node.start, element))
        stop = None if node.stop is None else _to_index(self.run(node.stop, element))
        return target[start:stop]

    def call(self, node: Call, element: object) -> Value:
        name = node.function
        if name in ("all", "any", "none", "one", "filter", "map", "count", "sum"):
            return self.predicate_call(node, element)
        arguments = [self.run(argument, element) for argument in node.arguments]
        if name in ("isNil", "default"):
            # Argo's helpers look at the measured value whatever they are given
            if name == "isNil":
                return self.result is None
            return arguments[1] if self.result is None else self.result
        if name in ("max", "min", "mean", "median"):
            return self.aggregate(name, arguments)
        return self.single(name, arguments[0])

    @staticmethod
    def aggregate(name: str, arguments: list[Value]) -> Value:
        numbers = _flatten_numbers(arguments, name)
        if name in ("max", "min"):
            best: int | float | None = None
            for number in numbers:
                if best is None or (best < number if name == "max" else best > number):
                    best = number
            return best
        if not numbers:
            return 0.0
        if name == "mean":
            return _sum(numbers, name) / len(numbers)
        ordered = sorted(float(n) for n in numbers)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    @staticmethod
    def single(name: str, value: Value) -> Value:
        if name == "len":
            if not isinstance(value, (list, str)):
                raise ExpressionEvalError(f"invalid argument for len (type {type_name(value)})")
            return len(value)
        if name in ("first", "last"):
            if not isinstance(value, list):
                raise ExpressionEvalError(f"cannot get {name} element from {type_name(value)}")
            return (value[0] if name == "first" else value[-1]) if value else None
        if name in ("asInt", "asFloat", "int", "float") and isinstance(value, str):
            return _parse_int(value, name) if name in ("asInt", "int") else _parse_float(value, name)
        if not _is_number(value):
            raise ExpressionEvalError(f"invalid argument for {name} (type {type_name(value)})")
        number: int | float = value  # type: ignore[assignment]
        if name in ("isNaN", "isInf"):
            return isinstance(number, float) and (math.isnan(number) if name == "isNaN" else math.isinf(number))
        if name == "abs":
            return abs(number)
        if name in ("int", "asInt"):
            return number if isinstance(number, int) else _truncate(number, name)
        if name in ("float", "asFloat"):
            return float(number)
        if isinstance(number, int):
            return float(number)
        rounding = {"ceil": math.ceil, "floor": math.floor}
        if name in rounding and not (math.isnan(number) or math.isinf(number)):
            return float(rounding[name](number))
        return _round_half_away(number) if name == "round" else number

    def predicate_call(self, node: Call, element: object) -> Value:
        name = node.function
        collection = self.run(node.arguments[0], element)
        if not isinstance(collection, list):
            raise ExpressionEvalError(f"{name}() needs a list, got {type_name(collection)}"
                                      + (" (the query returned a scalar)" if _is_number(collection) else ""))
        if len(node.arguments) == 1:  # count(list), sum(list)
            if name == "sum":
                return _sum(collection, name)
            if not all(isinstance(item, bool) for item in collection):
                raise ExpressionEvalError("count() without a predicate needs a list of bools")
            return sum(1 for item in collection if item)
        predicate = node.arguments[1]
        body = predicate.body if isinstance(predicate, Predicate) else predicate
        if name == "map":
            return [self.run(body, item) for item in collection]
        if name == "sum":
            return _sum([self.run(body, item) for item in collection], name)
        verdicts: list[bool] = []
        for item in collection:
            verdict = self.run(body, item)
            if not isinstance(verdict, bool):
                raise ExpressionEvalError(f"the predicate of {name}() must give a bool, got {type_name(verdict)}")
            if name == "all" and not verdict:
                return False
            if name == "any" and verdict:
                return True
            if name == "none" and verdict:
                return False
            verdicts.append(verdict)
        if name == "filter":
            return [item for item, verdict in zip(collection, verdicts, strict=True) if verdict]
        if name == "count":
            return sum(verdicts)
        if name == "one":
            return sum(verdicts) == 1
        return name in ("all", "none")


def evaluate(node: Node, result: Value) -> Value:
    """The value of ``node`` with ``result`` bound to the measured value; :class:`ExpressionEvalError` if none."""
    try:
        return _Evaluator(result).run(node)
    except RecursionError:
        raise ExpressionEvalError("expression nested too deeply") from None
