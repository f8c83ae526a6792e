"""The condition language: expr-lang/expr's precedence, types and errors, on the values a measurement gives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.analysis.argo import ExpressionEvalError, ExpressionSyntaxError, evaluate, parse_expression


def run(source: str, result: object = None) -> object:
    return evaluate(parse_expression(source), result)  # type: ignore[arg-type]


@pytest.mark.parametrize(("source", "expected"), [
    # arithmetic precedence and associativity
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),  # left-associative
    ("2 * 3 % 4", 2),  # * and % share a level, left to right: (2 * 3) % 4
    ("2 ** 3 ** 2", 512.0),  # right-associative
    ("2 ^ 3 ^ 2", 512.0),
    ("-2 ** 2", -4.0),  # ** binds tighter than a leading minus
    ("(-2) ** 2", 4.0),
    ("- 3 * 2", -6),
    ("7 / 2", 3.5),  # / always divides as floats
    ("1 / 0", math.inf),
    ("-1 / 0", -math.inf),
    ("-7 % 3", -1),  # Go keeps the dividend's sign
    ("7 % -3", 1),
    ("1_000 + 0x10 + 0o10 + 0b10", 1026),
    (".5 + 1e-1", 0.6),
    # comparisons and logic
    ("1 < 2 && 2 < 3", True),
    ("1 < 2 < 3", True),  # a chain of comparisons
    ("3 > 2 > 2", False),
    ("1 < 2 == true", True),  # == binds as loosely as <, left to right
    ("true || false && false", True),  # && binds tighter than ||
    ("(true || false) && false", False),
    ("true or false and false", True),
    ("not false", True),
    ("!true == false", True),  # ! binds tighter than ==: (!true) == false
    ("not (1 > 2)", True),
    ("1 == 1.0", True),
    ("true == 1", False),  # different types are never equal
    ("nil == nil", True),
    ("'a' + 'b' == 'ab'", True),
    ("1 != 2", True),
    ("true ? 1 : 2", 1),
    ("1 > 2 ? 'yes' : 'no'", "no"),
    ("nil ?? 4", 4),
    ("2 in [1, 2]", True),
    ("3 not in [1, 2]", True),
    ("1 + 2 /* three */ == 3 // a comment", True),
])
def test_constant_expressions(source: str, expected: object) -> None:
    value = run(source)
    assert value == pytest.approx(expected) if isinstance(expected, float) else value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("source", "result", "expected"), [
    ("result[0] < 0.25", [0.2], True),
    ("result[0] < 0.25", [0.31], False),
    ("result[0] >= 0.95", [0.95], True),
    ("result > 10", 11.0, True),
    ("result[-1]", [1.0, 2.0, 3.0], 3.0),
    ("result[1:]", [1.0, 2.0, 3.0], [2.0, 3.0]),
    ("len(result)", [1.0, 2.0], 2),
    ("len(result) == 0 || result[0] >= 0.95", [], True),  # || stops before the empty index
    ("len(result) > 0 && result[0] >= 0.95", [], False),
    ("all(result, {# < 0.5})", [0.1, 0.4], True),
    ("all(result, {# < 0.5})", [0.1, 0.6], False),
    ("all(result, {# < 0.5})", [], True),
    ("any(result, {# > 0.5})", [0.1, 0.6], True),
    ("any(result, # > 0.5)", [], False),  # a predicate without braces, as newer expr allows
    ("none(result, {# > 0.5})", [0.1], True),
    ("one(result, {# > 0.5})", [0.6, 0.7], False),
    ("count(result, {# > 0.5})", [0.6, 0.7, 0.1], 2),
    ("sum(result)", [0.5, 0.25], 0.75),
    ("filter(result, {# > 0.5})", [0.6, 0.1], [0.6]),
    ("map(result, {# * 2})", [0.5], [1.0]),
    ("max(result)", [0.5, 0.75, 0.1], 0.75),
    ("min(result[0], 0.3)", [0.5], 0.3),
    ("mean(result)", [1.0, 2.0], 1.5),
    ("median(result)", [3.0, 1.0, 2.0], 2.0),
    ("first(result)", [], None),
    ("isNaN(result)", math.nan, True),
    ("isNaN(result) || result >= 0.95", math.nan, True),
    ("result >= 0.95", math.nan, False),  # NaN compares false
    ("result != result", math.nan, True),
    ("isInf(result)", math.inf, True),
    ("isInf(result[0])", [1.0], False),
    ("default(result, 0) < 0.05", None, True),  # Argo's default(): the fallback only for a nil result
    ("default(result, 0) < 0.05", 0.5, False),
    ("isNil(result)", None, True),
    ("default(nil, 1)", 0.5, 0.5),  # Argo's helpers look at the measured value, whatever they are given
    ("isNil(1)", None, True),
    ("asInt(result) == 3", 3.9, True),  # truncates, as Go's int64()
    ("asFloat('0.5') == result", 0.5, True),
    ("round(result)", 2.5, 3.0),  # halves away from zero (Go's math.Round), not to even
    ("round(result)", -2.5, -3.0),
    ("abs(result) + ceil(0.2) + floor(1.7)", -1.0, 3.0),
    ("int(result) + float(2)", 1.9, 3.0),
])
def test_expressions_over_a_result(source: str, result: object, expected: object) -> None:
    assert run(source, result) == expected


@pytest.mark.parametrize(("source", "result", "message"), [
    ("result[0] < 0.25", [], "index out of range: 0 (array length is 0)"),
    ("result[2]", [1.0], "index out of range: 2 (array length is 1)"),
    ("result[0] < 1", 0.5, "cannot fetch [0] from float"),  # a scalar result is not a list
    ("result < 1", [0.5], "mismatched types"),  # a vector is not a number
    ("result < 1", None, "mismatched types"),
    ("result[0] && true", [1.0], "both sides must be bool"),
    ("true && result[0]", [1.0], "both sides must be bool"),
    ("!result", 1.0, "invalid operation: ! on float"),
    ("!result > 1", 2.0, "invalid operation: ! on float"),  # ! binds first, as in expr
    ("result ? 1 : 2", 1.0, "must be a bool"),
    ("1 % 0", None, "integer divide by zero"),
    ("1.5 % 1", None, "% takes integers"),
    ("all(result, {# * 2})", [1.0], "must give a bool"),
    ("all(result, {# < 1})", 0.5, "needs a list, got float (the query returned a scalar)"),
    ("len(result)", 1.0, "invalid argument for len"),
    ("asInt('x')", None, "cannot read 'x' as an integer"),
    ("asFloat('1_0')", None, "cannot read '1_0' as a number"),
    ("int(result)", math.nan, "has no integer value"),
    ("2 in result", 1.0, "expected a list"),
])
def test_evaluation_errors(source: str, result: object, message: str) -> None:
    with pytest.raises(ExpressionEvalError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        run(source, result)


@pytest.mark.parametrize(("source", "message", "column"), [
    ("", "empty expression", 1),
    ("result[0] <", "unexpected end of expression", 12),
    ("result[0] < < 1", "unexpected operator '<'", 13),
    ("(result > 1", "expected ')' before the end", 12),
    ("reslt > 1", "unknown name 'reslt' (did you mean 'result'?)", 1),
    ("lenn(result) > 0", "unknown function 'lenn' (did you mean 'len'?)", 1),
    ("len(result, 1)", "len() takes 1 argument, got 2", 1),
    ("all(result)", "all() takes 2 arguments, got 1", 1),
    ("# > 1", "only allowed inside one", 1),
    ("result.value > 1", "member access", 7),
    ("result matches 'a'", "the operator 'matches' is not supported", 8),
    ("1 .. 3", "range operator", 3),
    ("let x = 1; x", "'let' is not supported", 1),
    ("{a: 1}", "map literal", 1),
    ("result > 1; true", "sequence of expressions", 11),
    ("1 ?? 2 + 3", "cannot be mixed", 8),
    ("'abc", "string not terminated", 1),
    ("1 @ 2", "unrecognized character '@'", 3),
    ("12abc > 1", "bad number syntax", 1),
    ("9223372036854775808 > 1", "too large", 1),
    ("result not 1", "unexpected operator 'not'", 8),
    ("result[0] = 1", "unexpected operator '=' (compare with '==')", 11),
    ("true & false", "did you mean '&&'?", 6),
    ("((((" * 300 + "1" + "))))" * 300, "nested too deeply", 1),
])
def test_syntax_errors_name_the_problem_and_its_column(source: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(source)
    assert message in caught.value.reason
    assert caught.value.column == column


# Precedence, checked against an oracle that needs no parser: random expression trees are written once with
# the fewest parentheses expr's precedence table allows and once with every subexpression parenthesized; the
# parser must read both as the same tree, so both evaluate to the tree's value computed directly.

_LEVEL = {"||": 10, "&&": 15, "<": 20, "==": 20, "+": 30, "-": 30, "*": 60, "**": 100}


def _direct(tree: tuple) -> object:
    if tree[0] == "num":
        return tree[1]
    if tree[0] == "neg":
        return -_direct(tree[1])  # type: ignore[operator]
    if tree[0] == "not":
        return not _direct(tree[1])
    operator, left, right = tree
    a, b = _direct(left), _direct(right)
    if operator == "||":
        return a or b
    if operator == "&&":
        return a and b
    if operator == "<":
        return a < b  # type: ignore[operator]
    if operator == "==":
        return a == b
    if operator == "+":
        return a + b  # type: ignore[operator]
    if operator == "-":
        return a - b  # type: ignore[operator]
    if operator == "*":
        return a * b  # type: ignore[operator]
    return math.pow(a, b)  # type: ignore[arg-type]


def _full(tree: tuple) -> str:
    if tree[0] == "num":
        return str(tree[1])
    if tree[0] in ("neg", "not"):
        return f"({'-' if tree[0] == 'neg' else '!'}{_full(tree[1])})"
    return f"({_full(tree[1])} {tree[0]} {_full(tree[2])})"


def _minimal(tree: tuple, context: int = 0, right_side: bool = False) -> str:
    """Parentheses only where expr's precedence needs them."""
    if tree[0] == "num":
        return str(tree[1])
    if tree[0] in ("neg", "not"):
        level = 90 if tree[0] == "neg" else 50  # a prefix operator reads an operand of at least its level
        text = f"{'-' if tree[0] == 'neg' else '!'}{_minimal(tree[1], level)}"
        return f"({text})" if level < context else text
    operator, left, right = tree
    level = _LEVEL[operator]
    if operator == "**":  # right-associative
        text = f"{_minimal(left, level + 1)} ** {_minimal(right, level, True)}"
    else:
        text = f"{_minimal(left, level)} {operator} {_minimal(right, level + 1, True)}"
    return f"({text})" if level < context else text


def _numbers(depth: int) -> st.SearchStrategy[tuple]:
    leaf = st.tuples(st.just("num"), st.integers(0, 4))
    if depth == 0:
        return leaf
    sub = _numbers(depth - 1)
    small = st.tuples(st.just("num"), st.integers(1, 2))
    powers = st.one_of(st.tuples(st.just("**"), small, small),
                       st.tuples(st.just("**"), small, st.tuples(st.just("**"), small, small)),
                       st.tuples(st.just("**"), st.tuples(st.just("**"), small, small), small))
    return st.one_of(leaf, st.tuples(st.sampled_from(["+", "-", "*"]), sub, sub), st.tuples(st.just("neg"), sub),
                     powers)


def _booleans(depth: int) -> st.SearchStrategy[tuple]:
    comparison = st.tuples(st.sampled_from(["<", "=="]), _numbers(2), _numbers(2))
    if depth == 0:
        return comparison
    sub = _booleans(depth - 1)
    return st.one_of(comparison, st.tuples(st.sampled_from(["&&", "||"]), sub, sub), st.tuples(st.just("not"), sub))


@settings(max_examples=300, deadline=None)
@given(_booleans(3))
def test_precedence_matches_the_fully_parenthesized_reading(tree: tuple) -> None:
    expected = _direct(tree)
    assert run(_full(tree)) == expected
    assert run(_minimal(tree)) == expected


@settings(max_examples=300, deadline=None)
@given(_numbers(4))
def test_arithmetic_precedence_matches_the_fully_parenthesized_reading(tree: tuple) -> None:
    expected = _direct(tree)
    assert run(_full(tree)) == expected
    assert run(_minimal(tree)) == expected
