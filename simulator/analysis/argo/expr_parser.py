"""A Pratt parser for conditions, with expr-lang/expr's precedence and associativity.

Binding, loosest first (as in expr): ``? :``; ``||``/``or``; ``&&``/``and``;
comparisons and ``in``; ``+ -``; ``* / %``; the prefix operators ``! not``
(50: tighter than comparisons, so ``!result > 1`` negates ``result``, as in
expr) and ``- +`` (90); ``**``/``^`` (right-associative, tighter than a
leading minus: ``-2 ** 2`` is -4); ``??``; then indexing and calls.
``a < b < c`` means ``a < b && b < c`` (``<``, ``<=``, ``>``, ``>=`` only).

Unlike expr, which finds misspelt names only when a measurement is
evaluated, the parser refuses an unknown name or function, or a call with
the wrong number of arguments, at once: the condition is checked when the
manifest is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
from simulator.analysis.argo.expr_lexer import ExpressionSyntaxError, Token, tokenize
from simulator.scenario.base import suggest

__all__ = ["parse_expression", "FUNCTIONS", "VARIABLES", "ExpressionSyntaxError"]


@dataclass(frozen=True, slots=True)
class _Operator:
    precedence: int
    right: bool = False


_MAX_INT = 2**63 - 1  # expr's integers are 64-bit
_UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
_BINARY = {
    "|": _Operator(0), "or": _Operator(10), "||": _Operator(10), "and": _Operator(15), "&&": _Operator(15),
    "==": _Operator(20), "!=": _Operator(20), "<": _Operator(20), ">": _Operator(20), ">=": _Operator(20),
    "<=": _Operator(20), "in": _Operator(20), "matches": _Operator(20), "contains": _Operator(20),
    "startsWith": _Operator(20), "endsWith": _Operator(20), "..": _Operator(25), "+": _Operator(30),
    "-": _Operator(30), "*": _Operator(60), "/": _Operator(60), "%": _Operator(60), "**": _Operator(100, True),
    "^": _Operator(100, True), "??": _Operator(500),
}
_COMPARISONS = frozenset({"<", ">", "<=", ">="})
_NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})
_UNSUPPORTED_BINARY = {
    "|": "the pipe operator '|'", "matches": "the operator 'matches'", "contains": "the operator 'contains'",
    "startsWith": "the operator 'startsWith'", "endsWith": "the operator 'endsWith'", "..": "the range operator '..'",
}

VARIABLES = ("result",)
"""Names a condition may read: Argo gives it only the measured value."""

FUNCTIONS: dict[str, tuple[int, int | None, bool]] = {
    # name: (fewest arguments, most arguments or None for any number, second argument is a predicate)
    "len": (1, 1, False), "abs": (1, 1, False), "ceil": (1, 1, False), "floor": (1, 1, False),
    "round": (1, 1, False), "int": (1, 1, False), "float": (1, 1, False), "first": (1, 1, False),
    "last": (1, 1, False), "max": (1, None, False), "min": (1, None, False), "mean": (1, None, False),
    "median": (1, None, False),
    "all": (2, 2, True), "any": (2, 2, True), "none": (2, 2, True), "one": (2, 2, True),
    "filter": (2, 2, True), "map": (2, 2, True), "count": (1, 2, True), "sum": (1, 2, True),
    # Argo Rollouts' own helpers
    "isNaN": (1, 1, False), "isInf": (1, 1, False), "isNil": (1, 1, False), "default": (2, 2, False),
    "asInt": (1, 1, False), "asFloat": (1, 1, False),
}
"""The functions a condition may call: expr's builtins that apply to numbers and lists, and Argo's helpers."""

_SUPPORTED_SUMMARY = ("supported: result, numbers, strings, true, false, nil, parentheses, the operators "
                      "! not - + * / % ** ^ < <= > >= == != in && and || or ?: ??, indexing [i] and [a:b], "
                      f"lists [x, y] and the functions {', '.join(sorted(FUNCTIONS))}")


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.position = 0
        self.depth = 0  # predicate nesting: ``#`` is allowed inside one

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def peek(self) -> Token:
        return self.tokens[min(self.position + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str, token: Token | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, (token or self.current).column)

    def unexpected(self, token: Token | None = None) -> ExpressionSyntaxError:
        token = token or self.current
        if token.kind == "end":
            return self.fail("unexpected end of expression", token)
        hint = {"=": " (compare with '==')", "&": " (did you mean '&&'?)"}.get(token.text, "")
        return self.fail(f"unexpected {_describe(token)}{hint}", token)

    def expect(self, kind: str, text: str) -> Token:
        if self.current.kind == kind and self.current.text == text:
            return self.advance()
        if self.current.kind == "end":
            raise self.fail(f"expected '{text}' before the end of the expression")
        raise self.fail(f"expected '{text}', got {_describe(self.current)}")

    def unsupported(self, what: str, token: Token) -> ExpressionSyntaxError:
        return self.fail(f"{what} is not supported in a condition; {_SUPPORTED_SUMMARY}", token)

    # expressions -------------------------------------------------------

    def expression(self, precedence: int = 0) -> Node:
        if precedence == 0 and self.current.is_("operator", "let", "if"):
            raise self.unsupported(f"'{self.current.text}'", self.current)
        left = self.primary()
        previous = ""
        while self.current.kind == "operator":
            token = self.current
            negate = token.text == "not"
            if negate:
                following = self.peek()
                if not (following.kind == "operator" and following.text in _NEGATABLE):
                    raise self.unexpected(token)
                if _BINARY[following.text].precedence < precedence:
                    break
                self.advance()
                token = following
            operator = _BINARY.get(token.text)
            if operator is None or operator.precedence < precedence:
                break
            self.advance()
            if token.text in _UNSUPPORTED_BINARY:
                raise self.unsupported(_UNSUPPORTED_BINARY[token.text], token)
            if previous == "??" and token.text != "??":
                raise self.fail(f"'{token.text}' and '??' cannot be mixed: wrap either in parentheses", token)
            if token.text in _COMPARISONS:
                left = self.comparison(left, token, operator.precedence)
            else:
                right = self.expression(operator.precedence if operator.right else operator.precedence + 1)
                left = Binary(_canonical(token.text), left, right, token.column)
                if negate:
                    left = Unary("!", left, token.column)
            previous = token.text
        if precedence == 0:
            left = self.conditional(left)
        return left

    def comparison(self, left: Node, token: Token, precedence: int) -> Node:
        """``a < b < c`` as ``a < b && b < c``, as expr reads a chain of comparisons."""
        chained: Node | None = None
        while True:
            right = self.expression(precedence + 1)
            compared = Binary(token.text, left, right, token.column)
            chained = compared if chained is None else Binary("&&", chained, compared, token.column)
            left = right
            token = self.current
            if not (token.kind == "operator" and token.text in _COMPARISONS):
                return chained
            self.advance()

    def conditional(self, condition: Node) -> Node:
        while self.current.is_("operator", "?"):
            token = self.advance()
            if self.current.is_("operator", ":"):
                self.advance()
                then: Node = condition
            else:
                then = self.expression(0)
                self.expect("operator", ":")
            otherwise = self.expression(0)
            condition = Conditional(condition, then, otherwise, token.column)
        return condition

    def primary(self) -> Node:
        token = self.current
        if token.kind == "operator" and token.text in _UNARY:
            self.advance()
            operand = self.expression(_UNARY[token.text])
            return self.postfix(Unary(_canonical(token.text), operand, token.column))
        if token.is_("bracket", "("):
            self.advance()
            inner = self.expression(0)
            if self.current.is_("operator", ";"):
                raise self.unsupported("a sequence of expressions (';')", self.current)
            self.expect("bracket", ")")
            return self.postfix(inner)
        if token.is_("operator", "#"):
            if self.depth == 0:
                raise self.fail("'#' is the element of a predicate and is only allowed inside one, "
                                "as in all(result, {# < 0.5})", token)
            self.advance()
            if self.current.kind == "name":
                raise self.unsupported(f"the named element '#{self.current.text}'", token)
            return self.postfix(Element(token.column))
        if token.is_("operator", ".", "::"):
            raise self.unsupported(f"'{token.text}'", token)
        return self.postfix(self.secondary())

    def secondary(self) -> Node:
        token = self.current
        if token.kind == "name":
            self.advance()
            if token.text in ("true", "false"):
                return Literal(token.text == "true", token.column)
            if token.text == "nil":
                return Literal(None, token.column)
            if self.current.is_("bracket", "("):
                return self.call(token)
            if token.text not in VARIABLES:
                raise self.fail(f"unknown name '{token.text}'{suggest(token.text, list(VARIABLES))}; "
                                f"a condition reads the measured value as 'result'", token)
            return Variable(token.text, token.column)
        if token.kind == "number":
            self.advance()
            return Literal(_number(token), token.column)
        if token.kind == "string":
            self.advance()
            return Literal(token.text, token.column)
        if token.is_("bracket", "["):
            return self.array()
        if token.is_("bracket", "{"):
            raise self.unsupported("a map literal", token)
        raise self.unexpected(token)

    def array(self) -> Node:
        start = self.expect("bracket", "[")
        items: list[Node] = []
        while not self.current.is_("bracket", "]"):
            if items:
                self.expect("operator", ",")
                if self.current.is_("bracket", "]"):
                    break
            items.append(self.expression(0))
        self.expect("bracket", "]")
        return ArrayLiteral(tuple(items), start.column)

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.current
            if token.is_("operator", ".", "?."):
                raise self.unsupported("member access ('.name': a Prometheus result has no fields)", token)
            if not token.is_("bracket", "["):
                return node
            self.advance()
            if self.current.is_("operator", ":"):
                self.advance()
                stop = None if self.current.is_("bracket", "]") else self.expression(0)
                node = Slice(node, None, stop, token.column)
            else:
                start = self.expression(0)
                if self.current.is_("operator", ":"):
                    self.advance()
                    stop = None if self.current.is_("bracket", "]") else self.expression(0)
                    node = Slice(node, start, stop, token.column)
                else:
                    node = Index(node, start, token.column)
            self.expect("bracket", "]")

    def call(self, name: Token) -> Node:
        spec = FUNCTIONS.get(name.text)
        if spec is None:
            raise self.fail(f"unknown function '{name.text}'{suggest(name.text, list(FUNCTIONS))}; "
                            f"known: {', '.join(sorted(FUNCTIONS))}", name)
        fewest, most, has_predicate = spec
        self.expect("bracket", "(")
        arguments: list[Node] = []
        while not self.current.is_("bracket", ")"):
            if arguments:
                self.expect("operator", ",")
                if self.current.is_("bracket", ")"):
                    break
            if has_predicate and len(arguments) == 1:
                arguments.append(self.predicate())
            else:
                arguments.append(self.expression(0))
        self.expect("bracket", ")")
        if len(arguments) < fewest or (most is not None and len(arguments) > most):
            wanted = str(fewest) if fewest == most else (f"{fewest} to {most}" if most else f"at least {fewest}")
            raise self.fail(f"{name.text}() takes {wanted} argument{'s' if wanted != '1' else ''}, "
                            f"got {len(arguments)}", name)
        return Call(name.text, tuple(arguments), name.column)

    def predicate(self) -> Node:
        start = self.current
        braced = start.is_("bracket", "{")
        if braced:
            self.advance()
        self.depth += 1
        body = self.expression(0)
        self.depth -= 1
        if braced:
            if self.current.is_("operator", ";"):
                raise self.unsupported("a sequence of expressions (';')", self.current)
            self.expect("bracket", "}")
        return Predicate(body, start.column)


def _canonical(operator: str) -> str:
    """``and``/``or``/``not``/``^`` as their symbols."""
    return {"and": "&&", "or": "||", "not": "!", "^": "**"}.get(operator, operator)


def _describe(token: Token) -> str:
    if token.kind == "string":
        return f"string {token.text!r}"
    return f"{token.kind} '{token.text}'"


def _number(token: Token) -> int | float:
    text = token.text.replace("_", "")
    lowered = text.lower()
    try:
        if lowered.startswith(("0x", "0o", "0b")):
            number: int | float = int(text, 0)
        elif "." in lowered or "e" in lowered:
            number = float(text)
        else:
            number = int(text, 10)
    except ValueError:
        raise ExpressionSyntaxError(f"bad number {token.text!r}", token.column) from None
    if isinstance(number, int) and number > _MAX_INT:
        raise ExpressionSyntaxError(f"integer literal {token.text} is too large", token.column)
    if isinstance(number, float) and math.isinf(number):
        raise ExpressionSyntaxError(f"float literal {token.text} is too large", token.column)
    return number


def parse_expression(source: str) -> Node:
    """The syntax tree of ``source``; :class:`ExpressionSyntaxError` (with its column) if it is not a condition."""
    parser = _Parser(source)
    if parser.current.kind == "end":
        raise parser.fail("empty expression")
    try:
        node = parser.expression(0)
    except RecursionError:
        raise ExpressionSyntaxError("expression nested too deeply", 1) from None
    if parser.current.is_("operator", ";"):
        raise parser.unsupported("a sequence of expressions (';')", parser.current)
    if parser.current.kind != "end":
        raise parser.unexpected()
    return node
