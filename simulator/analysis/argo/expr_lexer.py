"""Tokens of the condition language (the expr-lang/expr syntax Argo Rollouts evaluates).

The lexer knows numbers (``42``, ``0.95``, ``.5``, ``1e-3``, ``1_000``,
``0x1F``, ``0o17``, ``0b101``), strings (``'a'``, ``"a"`` and raw strings in backquotes),
names, operators and brackets, and skips ``//`` and ``/* */`` comments. It
reads whatever expr would read, so that a construct the parser does not
support is refused by name rather than as a stray character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Token", "TokenKind", "ExpressionSyntaxError", "tokenize", "WORD_OPERATORS"]

TokenKind = Literal["number", "string", "name", "operator", "bracket", "end"]

WORD_OPERATORS = frozenset({"not", "and", "or", "in", "matches", "contains", "startsWith", "endsWith", "let",
                            "if", "else"})
"""Names the lexer reads as operators, as expr does."""

_TWO_CHAR = ("||", "&&", "==", "!=", "<=", ">=", "**", "??", "?.", "..", "::")
_ONE_CHAR = "+-*/%^!<>=?:,.#|;&"
_BRACKETS = "()[]{}"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}


class ExpressionSyntaxError(ValueError):
    """An expression that cannot be read; ``column`` counts from 1."""

    def __init__(self, message: str, column: int) -> None:
        self.reason = message
        self.column = column
        super().__init__(f"{message} (column {column})")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text (a string's value for strings) and its column (from 1)."""

    kind: TokenKind
    text: str
    column: int

    def is_(self, kind: TokenKind, *texts: str) -> bool:
        """Whether the token is of ``kind`` and, if ``texts`` are given, one of them."""
        return self.kind == kind and (not texts or self.text in texts)


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _number_end(source: str, start: int) -> int:
    """The end of the number that starts at ``start`` (a digit, or a dot before a digit)."""
    digits = "0123456789_"
    position = start
    if source.startswith(("0x", "0X", "0o", "0O", "0b", "0B"), position):
        prefix = source[position + 1].lower()
        digits = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}[prefix]
        position += 2
        while position < len(source) and source[position] in digits:
            position += 1
        return position
    while position < len(source) and source[position] in digits:
        position += 1
    if position < len(source) and source[position] == "." and not source.startswith("..", position):
        position += 1
        while position < len(source) and source[position] in digits:
            position += 1
    if position < len(source) and source[position] in "eE":
        position += 1
        if position < len(source) and source[position] in "+-":
            position += 1
        while position < len(source) and source[position] in digits:
            position += 1
    return position


def _string_end(source: str, start: int) -> tuple[str, int]:
    """The value and end of the quoted string that starts at ``start``."""
    quote = source[start]
    position = start + 1
    chars: list[str] = []
    while position < len(source):
        char = source[position]
        if char == quote:
            return "".join(chars), position + 1
        if char == "\\" and quote != "`":
            if position + 1 >= len(source):
                break
            escaped = source[position + 1]
            if escaped not in _ESCAPES:
                raise ExpressionSyntaxError(f"invalid escape \\{escaped} in a string", position + 1)
            chars.append(_ESCAPES[escaped])
            position += 2
            continue
        chars.append(char)
        position += 1
    raise ExpressionSyntaxError("string not terminated", start + 1)


def _comment_end(source: str, position: int) -> int:
    if source.startswith("//", position):
        newline = source.find("\n", position)
        return len(source) if newline < 0 else newline + 1
    close = source.find("*/", position + 2)
    if close < 0:
        raise ExpressionSyntaxError("comment not terminated", position + 1)
    return close + 2


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, ending with an ``end`` token; :class:`ExpressionSyntaxError` if unreadable."""
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        char = source[position]
        column = position + 1
        if char.isspace():
            position += 1
        elif source.startswith(("//", "/*"), position):
            position = _comment_end(source, position)
        elif char.isdigit() or (char == "." and position + 1 < len(source) and source[position + 1].isdigit()):
            end = _number_end(source, position)
            if end < len(source) and _is_name_char(source[end]):
                raise ExpressionSyntaxError(f"bad number syntax: {source[position:end + 1]!r}", column)
            tokens.append(Token("number", source[position:end], column))
            position = end
        elif char in "'\"`":
            value, position = _string_end(source, position)
            tokens.append(Token("string", value, column))
        elif _is_name_char(char):
            end = position
            while end < len(source) and _is_name_char(source[end]):
                end += 1
            word = source[position:end]
            tokens.append(Token("operator" if word in WORD_OPERATORS else "name", word, column))
            position = end
        elif char in _BRACKETS:
            tokens.append(Token("bracket", char, column))
            position += 1
        elif source.startswith(_TWO_CHAR, position):
            tokens.append(Token("operator", source[position:position + 2], column))
            position += 2
        elif char in _ONE_CHAR:
            tokens.append(Token("operator", char, column))
            position += 1
        else:
            raise ExpressionSyntaxError(f"unrecognized character {char!r}", column)
    tokens.append(Token("end", "", len(source) + 1))
    return tokens
