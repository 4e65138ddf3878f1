"""Tokenizer and recursive-descent parser of the expression language.

Hand-written on purpose: the language is tiny, and a parser we own can refuse everything that
is not in it (attribute access, strings, imports, unknown names) with a message that points at
the character, which a Python ``ast`` whitelist cannot do as clearly. Length and nesting are
capped before any recursion can go deep, so hostile text costs at most a few milliseconds.
The grammar (loosest first)::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | cmp
    cmp     := sum (("=="|"!="|"<"|"<="|">"|">=") sum)?      -- no chains: a < b < c
    sum     := product (("+"|"-") product)*
    product := unary (("*"|"/"|"%") unary)*
    unary   := "-" unary | "+" unary | power
    power   := atom ("^" unary)?                             -- right-assoc; -2^2 = -4
    atom    := number | "true" | "false" | reference | name "(" args ")" | "(" expr ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from dieuhanh.core.expressions_syntax import (
    CATEGORY_RE,
    CODE_RE,
    COMPARISONS,
    DIMENSION_RE,
    MAX_CODE_LENGTH,
    MAX_OFFSET,
    Arithmetic,
    Boolean,
    Call,
    Comparison,
    Expression,
    ExpressionError,
    Logical,
    Negate,
    Node,
    Not,
    Number,
    Power,
    Ref,
    Reference,
    canonical_disagg,
    kind_of,
)
from dieuhanh.core.i18n import N_

MAX_LENGTH = 2000
MAX_DEPTH = 25  # parentheses, calls and unary operators inside each other

FUNCTIONS = {  # lower-cased spelling → canonical name
    "if": "if",
    "isnull": "isNull",
    "coalesce": "coalesce",
    "min": "min",
    "max": "max",
    "abs": "abs",
    "round": "round",
}
MODIFIERS = ("ytd", "lastyear")  # take one reference, change it
KEYWORDS = ("and", "or", "not", "true", "false")
ALIASES = {"×": "*", "÷": "/", "−": "-", "≤": "<=", "≥": ">=", "≠": "!=", "<>": "!="}
OPERATORS = ("==", "!=", "<=", ">=", "<>", "<", ">", "+", "-", "*", "/", "%", "^", "(", ")", ",")

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")  # not str.isdigit: "٣" must not read as 3
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_CHARS = re.compile(r"[A-Za-z0-9_]*")
_DISAGG_CHARS = re.compile(r"[^@}]*")
_INTEGER = re.compile(r" *[+-]? *[0-9]+ *")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | ref | name | op | end
    text: str
    position: int
    number: float = 0.0
    ref: Ref | None = None


def _read_reference(text: str, start: int) -> tuple[Ref, int]:
    """``#{CODE[:dim=cat;…][@±n]}`` starting at ``start`` (the ``#``) → (Ref, end)."""
    if not text.startswith("{", start + 1):
        raise ExpressionError(N_("'#' must start a reference such as #{{CODE}}"), start)
    i = start + 2
    while i < len(text) and text[i] == " ":
        i += 1
    code = _match(_CODE_CHARS, text, i)
    if not code:
        raise ExpressionError(N_("Expected an indicator code after '#{{'"), i)
    if not CODE_RE.fullmatch(code):
        if CODE_RE.fullmatch(code.upper()):
            raise ExpressionError(
                N_("Indicator codes are upper case: did you mean {suggestion}?"),
                i,
                suggestion="#{" + code.upper() + "}",
            )
        raise ExpressionError(
            N_(
                "'{code}' is not an indicator code (upper-case letters, digits and _, "
                "starting with a letter)"
            ),
            i,
            code=code,
        )
    if len(code) > MAX_CODE_LENGTH:
        raise ExpressionError(
            N_("Indicator codes are at most {limit} characters"), i, limit=MAX_CODE_LENGTH
        )
    i += len(code)
    while i < len(text) and text[i] == " ":
        i += 1
    disagg = ""
    offset = 0
    if text.startswith(":", i):
        raw = _match(_DISAGG_CHARS, text, i + 1)
        try:
            disagg = canonical_disagg(raw)
        except ExpressionError as exc:
            raise ExpressionError(
                exc.template, _disagg_error_at(raw, i + 1), **exc.params
            ) from None
        if not disagg:
            raise ExpressionError(N_("Expected dimension=category after ':'"), i + 1)
        i += 1 + len(raw)
    if text.startswith("@", i):
        match = _INTEGER.match(text, i + 1)
        if match is None:
            raise ExpressionError(
                N_("Expected a whole number of periods after '@', such as @-1"), i + 1
            )
        offset = int(match.group().replace(" ", ""))
        if abs(offset) > MAX_OFFSET:
            raise ExpressionError(N_("A period offset is at most {limit}"), i + 1, limit=MAX_OFFSET)
        i = match.end()
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise ExpressionError(N_("Unclosed reference: expected '}}'"), i)
    if text[i] != "}":
        raise ExpressionError(
            N_("Unexpected '{char}' in a reference: expected '}}'"), i, char=text[i]
        )
    return Ref(code, disagg, offset), i + 1


def _match(pattern: re.Pattern[str], text: str, start: int) -> str:
    """The (possibly empty) match of a pattern that cannot fail, such as ``[…]*``."""
    match = pattern.match(text, start)
    return "" if match is None else match.group()


def _disagg_error_at(raw: str, start: int) -> int:
    """Point at the first bad pair of a disaggregation rather than at its start."""
    at = start
    seen: set[str] = set()
    for part in raw.split(";"):
        dimension, sep, category = (s.strip() for s in part.partition("="))
        bad = not sep or not DIMENSION_RE.fullmatch(dimension)
        bad = bad or not CATEGORY_RE.fullmatch(category) or dimension in seen
        if bad:
            return at + len(part) - len(part.lstrip())
        seen.add(dimension)
        at += len(part) + 1
    return start


def tokenize(text: str) -> Iterator[Token]:
    """Tokens on demand, so that errors come out in reading order (an unknown function is
    reported before the string literal that follows it)."""
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in _DIGITS or (char == "." and i + 1 < n and text[i + 1] in _DIGITS):
            match = _NUMBER.match(text, i)
            assert match is not None  # a digit or ".digit" always matches
            end = match.end()
            if end < n and (text[end].isalnum() or text[end] in "_.#"):
                raise ExpressionError(
                    N_("Unexpected '{char}' after the number"), end, char=text[end]
                )
            value = float(match.group())
            if not math.isfinite(value):
                raise ExpressionError(N_("The number is too large"), i)
            yield Token("num", match.group(), i, number=value)
            i = end
            continue
        if char == "#":
            ref, end = _read_reference(text, i)
            yield Token("ref", text[i:end], i, ref=ref)
            i = end
            continue
        if char.isalpha() or char == "_":
            match = _NAME.match(text, i)
            if match is None:  # a non-ASCII letter
                raise ExpressionError(N_("Unexpected character '{char}'"), i, char=char)
            yield Token("name", match.group(), i)
            i = match.end()
            if i < n and text[i] == ".":
                raise ExpressionError(N_("'.' (attribute access) is not part of the language"), i)
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                yield Token("op", ALIASES.get(op, op), i)
                i += len(op)
                break
        else:
            if char in ALIASES:
                yield Token("op", ALIASES[char], i)
                i += 1
                continue
            if char == "=":
                raise ExpressionError(N_("Use '==' to compare"), i)
            if char in "\"'":
                raise ExpressionError(N_("The language has no text strings"), i)
            if char in ".[]{}":
                raise ExpressionError(N_("'{char}' is not part of the language"), i, char=char)
            raise ExpressionError(N_("Unexpected character '{char}'"), i, char=char)
    yield Token("end", "", n)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.token = next(self.tokens)
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------------
    def advance(self) -> Token:
        token = self.token
        if token.kind != "end":
            self.token = next(self.tokens)
        return token

    def at_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def at_word(self, word: str) -> bool:
        return self.token.kind == "name" and self.token.text.lower() == word

    def expect(self, op: str) -> Token:
        if not self.at_op(op):
            raise self.unexpected(
                N_("Expected '{expected}', found '{found}'"),
                N_("Expected '{expected}' but the formula ended"),
                expected=op,
            )
        return self.advance()

    def unexpected(self, found: str, ended: str, **params: object) -> ExpressionError:
        """``found`` names the offending token; ``ended`` is for running out of text."""
        token = self.token
        if token.kind == "end":
            return ExpressionError(ended, token.position, **params)
        return ExpressionError(found, token.position, found=token.text, **params)

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                N_("The formula is nested more than {limit} levels deep"), position, limit=MAX_DEPTH
            )

    def leave(self) -> None:
        self.depth -= 1

    def need(self, node: Node, kind: str) -> Node:
        if kind_of(node) != kind:
            if kind == "number":
                raise ExpressionError(N_("Expected a number here, not a condition"), node.position)
            raise ExpressionError(
                N_("Expected a condition (true or false) here, not a number"), node.position
            )
        return node

    # -- grammar -------------------------------------------------------------------------------
    def parse(self) -> Node:
        node = self.expr()
        if self.token.kind != "end":
            raise ExpressionError(
                N_("Expected an operator or the end of the formula, found '{found}'"),
                self.token.position,
                found=self.token.text,
            )
        return node

    def expr(self) -> Node:
        return self.logical("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.logical("and", self.negation)

    def logical(self, word: str, operand: Callable[[], Node]) -> Node:
        first = operand()
        if not self.at_word(word):
            return first
        operands = (
            list(first.operands)
            if isinstance(first, Logical) and first.op == word
            else [self.need(first, "boolean")]
        )
        while self.at_word(word):
            self.advance()
            operands.append(self.need(operand(), "boolean"))
        return Logical(word, tuple(operands), first.position)

    def negation(self) -> Node:
        if not self.at_word("not"):
            return self.comparison()
        start = self.advance().position
        self.enter(start)
        operand = self.need(self.negation(), "boolean")
        self.leave()
        return Not(operand, start)

    def comparison(self) -> Node:
        left = self.sum()
        if not self.at_op(*COMPARISONS):
            return left
        op = self.advance().text
        right = self.sum()
        if self.at_op(*COMPARISONS):
            raise ExpressionError(
                N_("Comparisons cannot be chained; join them with 'and'"), self.token.position
            )
        if op in ("==", "!="):
            if kind_of(left) != kind_of(right):
                raise ExpressionError(
                    N_("Cannot compare a number with a condition"), right.position
                )
        else:
            self.need(left, "number")
            self.need(right, "number")
        return Comparison(left, op, right, left.position)

    def chain(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        left = operand()
        if not self.at_op(*ops):
            return left
        first: Node = self.need(left, "number")
        rest: list[tuple[str, Node]] = []
        if isinstance(left, Arithmetic) and left.rest[0][0] in ops:
            first, rest = left.first, list(left.rest)  # "(a + b) + c" is "a + b + c"
        while self.at_op(*ops):
            op = self.advance().text
            rest.append((op, self.need(operand(), "number")))
        return Arithmetic(first, tuple(rest), left.position)

    def sum(self) -> Node:
        return self.chain(("+", "-"), self.product)

    def product(self) -> Node:
        return self.chain(("*", "/", "%"), self.unary)

    def unary(self) -> Node:
        if not self.at_op("-", "+"):
            return self.power()
        token = self.advance()
        self.enter(token.position)
        operand = self.need(self.unary(), "number")
        self.leave()
        return Negate(operand, token.position) if token.text == "-" else operand

    def power(self) -> Node:
        base = self.atom()
        if not self.at_op("^"):
            return base
        token = self.advance()
        self.need(base, "number")
        self.enter(token.position)
        exponent = self.need(self.unary(), "number")
        self.leave()
        return Power(base, exponent, base.position)

    def atom(self) -> Node:
        token = self.token
        if token.kind == "num":
            self.advance()
            return Number(token.number, token.position)
        if token.kind == "ref":
            self.advance()
            assert token.ref is not None
            return Reference(token.ref, token.position)
        if self.at_op("("):
            self.advance()
            self.enter(token.position)
            node = self.expr()
            self.leave()
            self.expect(")")
            return node
        if token.kind == "name":
            return self.name()
        raise self.unexpected(
            N_("Expected a number, a reference #{{CODE}} or '(', found '{found}'"),
            N_("Expected a number, a reference #{{CODE}} or '(' but the formula ended"),
        )

    def name(self) -> Node:
        token = self.advance()
        lowered = token.text.lower()
        if lowered in ("true", "false"):
            return Boolean(lowered == "true", token.position)
        if lowered == "not":
            raise ExpressionError(N_("Put 'not …' in parentheses here"), token.position)
        if lowered in KEYWORDS:
            raise ExpressionError(
                N_("'{word}' needs a condition before it"), token.position, word=lowered
            )
        if not self.at_op("(") and (lowered in FUNCTIONS or lowered in MODIFIERS):
            raise ExpressionError(
                N_("Expected '(' after '{name}'"), token.position, name=token.text
            )
        if not self.at_op("("):
            raise ExpressionError(
                N_("Unknown name '{name}': indicator codes are written #{{{name}}}"),
                token.position,
                name=token.text,
            )
        if lowered in MODIFIERS:
            return self.modifier(token)
        if lowered not in FUNCTIONS:
            raise ExpressionError(
                N_("Unknown function '{name}'; the functions are {available}"),
                token.position,
                name=token.text,
                available=", ".join([*FUNCTIONS.values(), *MODIFIERS]),
            )
        name = FUNCTIONS[lowered]
        self.advance()
        self.enter(token.position)
        args: list[Node] = []
        if not self.at_op(")"):
            args.append(self.expr())
            while self.at_op(","):
                self.advance()
                args.append(self.expr())
        self.leave()
        self.expect(")")
        return _check_call(name, tuple(args), token.position)

    def modifier(self, token: Token) -> Node:
        """``ytd(…)`` and ``lastyear(…)`` change the reference inside; they are not calls."""
        self.advance()
        self.enter(token.position)
        inner = self.atom() if self.token.kind == "name" or self.token.kind == "ref" else None
        self.leave()
        if not isinstance(inner, Reference):
            raise ExpressionError(
                N_("{name}() takes one indicator reference, such as {name}(#{{CODE}})"),
                token.position,
                name=token.text.lower(),
            )
        self.expect(")")
        ref = inner.ref
        if token.text.lower() == "ytd":
            if ref.ytd:
                raise ExpressionError(N_("The reference is already year-to-date"), token.position)
            ref = Ref(ref.code, ref.disagg, ref.offset, ref.offset_years, ytd=True)
        else:
            if ref.offset_years - 1 < -MAX_OFFSET:
                raise ExpressionError(
                    N_("A period offset is at most {limit}"), token.position, limit=MAX_OFFSET
                )
            ref = Ref(ref.code, ref.disagg, ref.offset, ref.offset_years - 1, ref.ytd)
        return Reference(ref, token.position)


def _check_call(name: str, args: tuple[Node, ...], position: int) -> Call:
    """Arity and argument kinds, so that a formula that parses also evaluates."""
    arity = {"if": (3, 3), "isNull": (1, 1), "abs": (1, 1), "round": (1, 2)}
    low, high = arity.get(name, (2 if name == "coalesce" else 1, 10_000))
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low}-{high}" if high < 10_000 else f"{low}+"
        raise ExpressionError(
            N_("{name}() takes {expected} arguments, not {count}"),
            position,
            name=name,
            expected=expected,
            count=len(args),
        )
    if name == "if":
        if kind_of(args[0]) != "boolean":
            raise ExpressionError(
                N_("The first argument of if() must be a condition (true or false)"),
                args[0].position,
            )
        if kind_of(args[1]) != kind_of(args[2]):
            raise ExpressionError(
                N_("Both values of if() must be numbers, or both conditions"), args[2].position
            )
    elif name == "coalesce":
        for arg in args[1:]:
            if kind_of(arg) != kind_of(args[0]):
                raise ExpressionError(
                    N_("The values of coalesce() must be all numbers or all conditions"),
                    arg.position,
                )
    elif name != "isNull":
        for arg in args:
            if kind_of(arg) != "number":
                raise ExpressionError(N_("Expected a number here, not a condition"), arg.position)
        if name == "round" and len(args) == 2:
            digits = args[1]
            value = digits.operand if isinstance(digits, Negate) else digits
            if not (
                isinstance(value, Number) and value.value.is_integer() and abs(value.value) <= 15
            ):
                raise ExpressionError(
                    N_("The decimals of round() must be a whole number from -15 to 15"),
                    digits.position,
                )
    return Call(name, args, position)


@lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse a formula or condition; raise :class:`ExpressionError` with the offending offset.

    Cached: stored formulas are parsed again on every query, and trees are immutable.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            N_("The formula is longer than {limit} characters"), MAX_LENGTH, limit=MAX_LENGTH
        )
    if not text.strip():
        raise ExpressionError(N_("The formula is empty"), 0)
    return Expression(_Parser(text).parse(), text)
