"""The indicator formula language: parsed by a tokenizer and a recursive-descent parser.

Grammar (never evaluated with `eval`)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | reference | "(" expression ")"
    reference  := "#{" CODE ("." DIMENSION "=" VALUE)* "}"

`#{HOMICIDES}` is the data element's total; `#{HOMICIDES.sex=female}` only the values
disaggregated by that sex (every dimension not named is the total). Evaluation is exact
(`Fraction`); a division by zero, or a reference without data, gives no value (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

DIMENSIONS = ("sex", "age_band", "disability")
MAX_FORMULA_LENGTH = 1000
MAX_DEPTH = 100

_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,49}")
_NAME = re.compile(r"[a-z_]+")
_VALUE = re.compile(r"[A-Za-z0-9_+-]{1,50}")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")


class FormulaError(ValueError):
    """A formula that cannot be parsed: `position` is the 0-based character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Reference:
    """A data element, optionally restricted to one disaggregation."""

    code: str
    filters: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        parts = [self.code, *(f"{name}={value}" for name, value in self.filters)]
        return "#{" + ".".join(parts) + "}"


@dataclass(frozen=True)
class Number:
    value: Fraction


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class BinaryOp:
    operator: str
    left: Node
    right: Node


Node = Number | Reference | Negate | BinaryOp


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "reference", "op", "(", ")"
    text: str
    position: int
    reference: Reference | None = None


def _read_reference(source: str, start: int) -> tuple[Reference, int]:
    """Read `#{...}` from `start`; returns the reference and the offset after `}`."""
    end = source.find("}", start + 2)
    if end < 0:
        raise FormulaError("unclosed reference, expected '}'", start)
    body = source[start + 2 : end]
    parts = body.split(".")
    if not _CODE.fullmatch(parts[0]):
        raise FormulaError(
            "a data element code is upper-case letters, digits and '_' (e.g. HOMICIDES)",
            start + 2,
        )
    filters: dict[str, str] = {}
    offset = start + 2 + len(parts[0]) + 1
    for part in parts[1:]:
        name, equals, value = part.partition("=")
        if not equals or not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
            raise FormulaError("a filter is written dimension=value (e.g. sex=female)", offset)
        if name not in DIMENSIONS:
            raise FormulaError(
                f"unknown dimension {name!r}; expected one of {', '.join(DIMENSIONS)}", offset
            )
        if name in filters:
            raise FormulaError(f"the dimension {name!r} is filtered twice", offset)
        filters[name] = value
        offset += len(part) + 1
    ordered = tuple((name, filters[name]) for name in DIMENSIONS if name in filters)
    return Reference(parts[0], ordered), end + 1


def tokenize(source: str) -> list[Token]:
    """Split a formula into tokens; FormulaError at the first character that fits none."""
    if len(source) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"a formula has at most {MAX_FORMULA_LENGTH} characters", 0)
    tokens: list[Token] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char in " \t\n":
            index += 1
        elif char in "+-*/":
            tokens.append(Token("op", char, index))
            index += 1
        elif char in "()":
            tokens.append(Token(char, char, index))
            index += 1
        elif source.startswith("#{", index):
            reference, after = _read_reference(source, index)
            tokens.append(Token("reference", source[index:after], index, reference))
            index = after
        elif (number := _NUMBER.match(source, index)) is not None:
            tokens.append(Token("number", number.group(), index))
            index = number.end()
        else:
            raise FormulaError(f"unexpected character {char!r}", index)
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _end(self) -> int:
        return len(self.source)

    def parse(self) -> Node:
        if not self.tokens:
            raise FormulaError("the formula is empty", 0)
        node = self._expression()
        extra = self._peek()
        if extra is not None:
            raise FormulaError(f"unexpected {extra.text!r}", extra.position)
        return node

    def _expression(self) -> Node:
        node = self._term()
        while (token := self._peek()) is not None and token.text in ("+", "-"):
            self.index += 1
            node = BinaryOp(token.text, node, self._term())
        return node

    def _term(self) -> Node:
        node = self._unary()
        while (token := self._peek()) is not None and token.text in ("*", "/"):
            self.index += 1
            node = BinaryOp(token.text, node, self._unary())
        return node

    def _unary(self) -> Node:
        token = self._peek()
        if token is not None and token.text == "-":
            self.index += 1
            self._descend(token.position)
            node = Negate(self._unary())
            self.depth -= 1
            return node
        return self._primary()

    def _descend(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels", position)

    def _primary(self) -> Node:
        token = self._peek()
        if token is None:
            raise FormulaError("the formula ends where a value was expected", self._end())
        self.index += 1
        if token.kind == "number":
            return Number(Fraction(token.text))
        if token.kind == "reference":
            assert token.reference is not None
            return token.reference
        if token.kind == "(":
            self._descend(token.position)
            node = self._expression()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                where = closing.position if closing is not None else self._end()
                raise FormulaError("expected ')'", where)
            self.index += 1
            self.depth -= 1
            return node
        raise FormulaError(
            f"expected a number, a reference or '(', not {token.text!r}", token.position
        )


def parse(source: str) -> Node:
    """Parse a formula into a tree; FormulaError (with its position) if it is not one."""
    return _Parser(source).parse()


def references(node: Node) -> set[Reference]:
    """Every data element reference in a formula tree."""
    if isinstance(node, Reference):
        return {node}
    if isinstance(node, Negate):
        return references(node.operand)
    if isinstance(node, BinaryOp):
        return references(node.left) | references(node.right)
    return set()


Lookup = Callable[[Reference], Fraction | None] | Mapping[Reference, Fraction | None]


def evaluate(node: Node, lookup: Lookup) -> Fraction | None:
    """The exact value of a formula; None when data is missing or a divisor is zero."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Reference):
        return lookup.get(node) if isinstance(lookup, Mapping) else lookup(node)
    if isinstance(node, Negate):
        operand = evaluate(node.operand, lookup)
        return None if operand is None else -operand
    left = evaluate(node.left, lookup)
    right = evaluate(node.right, lookup)
    if left is None or right is None:
        return None
    if node.operator == "+":
        return left + right
    if node.operator == "-":
        return left - right
    if node.operator == "*":
        return left * right
    if right == 0:
        return None
    return left / right
