"""The syntax tree of the expression language: references, nodes and canonical text.

Kept apart from the parser and the evaluator so that both depend on one small definition of
what an expression *is*. The language itself is documented in :mod:`dieuhanh.core.expressions`
(the module users and callers import); this module only holds values.

Nodes are frozen dataclasses whose ``position`` (offset in the source text, for messages) is
excluded from equality, so two texts that differ only in spacing, case of keywords or
redundant parentheses give equal, equally hashed trees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dieuhanh.core.i18n import N_

CODE_RE = re.compile(r"[A-Z][A-Z0-9_]*")
DIMENSION_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
CATEGORY_RE = re.compile(r"[A-Za-z0-9_.+\-]+")
MAX_CODE_LENGTH = 64  # indicators.code is String(64)
MAX_DISAGG_LENGTH = 128  # observations.disagg is String(128)
MAX_OFFSET = 1200  # 100 years of months: anything further is a typo, not a formula

Kind = Literal["number", "boolean"]


class ExpressionError(ValueError):
    """A formula that cannot be parsed or does not make sense, with where it went wrong.

    ``message`` is English; ``template`` and ``params`` let a page show it in Vietnamese
    (``gettext(template, locale).format(**params)``), since the templates are catalogued
    message ids. ``position`` is the 0-based character offset the message is about.
    """

    def __init__(self, template: str, position: int, **params: object) -> None:
        self.template = template
        self.params: dict[str, object] = dict(params)
        self.position = position
        self.message = template.format(**params)
        super().__init__(self.message)

    def pointer(self, text: str) -> str:
        """The text with a caret under the offending character (for CLIs and pack loading)."""
        line_start = text.rfind("\n", 0, self.position) + 1
        line_end = text.find("\n", self.position)
        line = text[line_start : None if line_end < 0 else line_end]
        return f"{line}\n{' ' * (self.position - line_start)}^ {self.message}"


def canonical_disagg(text: str) -> str:
    """``"sex=female;area=urban"`` → ``"area=urban;sex=female"`` (the stored form).

    The observation table keys disaggregations by this string, so every writer and every
    formula must agree on one spelling: pairs sorted by dimension code, no spaces.
    Raises ``ValueError`` (an :class:`ExpressionError` at offset 0) on malformed text.
    """
    if not text.strip():
        return ""
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        dimension, sep, category = (s.strip() for s in part.partition("="))
        if not sep or not DIMENSION_RE.fullmatch(dimension):
            raise ExpressionError(
                N_("Disaggregation '{part}' is not dimension=category"), 0, part=part.strip()
            )
        if not CATEGORY_RE.fullmatch(category):
            raise ExpressionError(
                N_("Category '{category}' of '{dimension}' is not valid"),
                0,
                category=category,
                dimension=dimension,
            )
        if dimension in pairs:
            raise ExpressionError(
                N_("Dimension '{dimension}' is given twice"), 0, dimension=dimension
            )
        pairs[dimension] = category
    result = ";".join(f"{d}={pairs[d]}" for d in sorted(pairs))
    if len(result) > MAX_DISAGG_LENGTH:
        raise ExpressionError(
            N_("The disaggregation is longer than {limit} characters"), 0, limit=MAX_DISAGG_LENGTH
        )
    return result


@dataclass(frozen=True, slots=True)
class Ref:
    """One input of a formula: which indicator, which breakdown, which period relative to the
    query's period, and whether year-to-date. The resolver turns it into a value.

    ``offset`` counts periods of the query's period type (``-1`` = previous month when the
    query is monthly); ``offset_years`` shifts by whole years (``lastyear`` = ``-1``), applied
    to the period before ``ytd`` widens it. The disaggregation is canonicalised on creation,
    so equal references are equal however they were written.
    """

    code: str
    disagg: str = ""
    offset: int = 0
    offset_years: int = 0
    ytd: bool = False

    def __post_init__(self) -> None:
        if not CODE_RE.fullmatch(self.code) or len(self.code) > MAX_CODE_LENGTH:
            raise ValueError(f"not an indicator code: {self.code!r}")
        if abs(self.offset) > MAX_OFFSET or not -MAX_OFFSET <= self.offset_years <= 0:
            raise ValueError("offset out of range (offset_years must be 0 or negative)")
        object.__setattr__(self, "disagg", canonical_disagg(self.disagg))

    @property
    def text(self) -> str:
        """Canonical spelling: ``ytd(lastyear(#{CODE:area=urban@-1}))``."""
        inner = self.code
        if self.disagg:
            inner += ":" + self.disagg
        if self.offset:
            inner += f"@{self.offset:+d}"
        out = "#{" + inner + "}"
        for _ in range(-self.offset_years):
            out = f"lastyear({out})"
        return f"ytd({out})" if self.ytd else out

    def __str__(self) -> str:
        return self.text


# -- nodes ---------------------------------------------------------------------------------------
# ``position`` never takes part in equality: it only says where to point in messages.
def _pos() -> int:
    return field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Reference:
    ref: Ref
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """A left-to-right chain of operators of one precedence level: ``a + b - c`` or
    ``a * b / c % d``. Chains instead of nested pairs keep long sums shallow (no recursion
    limit on a 500-term sum) and give the explain tree one node per sum."""

    first: Node
    rest: tuple[tuple[str, Node], ...]
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Power:
    base: Node
    exponent: Node
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Comparison:
    left: Node
    op: str  # == != < <= > >=
    right: Node
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # and | or
    operands: tuple[Node, ...]
    position: int = _pos()


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # canonical spelling: if isNull coalesce min max abs round
    args: tuple[Node, ...]
    position: int = _pos()


Node = (
    Number | Boolean | Reference | Negate | Not | Arithmetic | Power | Comparison | Logical | Call
)

ADDITIVE = frozenset({"+", "-"})
MULTIPLICATIVE = frozenset({"*", "/", "%"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


def kind_of(node: Node) -> Kind:
    """Whether a node yields a number or a condition (the parser has checked consistency)."""
    if isinstance(node, Boolean | Not | Comparison | Logical):
        return "boolean"
    if isinstance(node, Call):
        if node.name == "isNull":
            return "boolean"
        if node.name in ("if", "coalesce"):
            return kind_of(node.args[-1])
    return "number"


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Negate | Not):
        return (node.operand,)
    if isinstance(node, Arithmetic):
        return (node.first, *(operand for _op, operand in node.rest))
    if isinstance(node, Power):
        return (node.base, node.exponent)
    if isinstance(node, Comparison):
        return (node.left, node.right)
    if isinstance(node, Logical):
        return node.operands
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node, parents before children (iterative: trees are shallow, but why risk it)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# -- canonical text --------------------------------------------------------------------------------
def format_number(value: float) -> str:
    """Shortest text that reads back to the same float: ``3``, ``2.5``, ``1e-05``, ``1e+20``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def precedence(node: Node) -> int:
    """Binding strength, loosest first: or 1, and 2, not 3, comparisons 4, + - 5, * / % 6,
    unary minus 7, ^ 8, atoms 9."""
    if isinstance(node, Logical):
        return 1 if node.op == "or" else 2
    if isinstance(node, Not):
        return 3
    if isinstance(node, Comparison):
        return 4
    if isinstance(node, Arithmetic):
        return 5 if node.rest[0][0] in ADDITIVE else 6
    if isinstance(node, Negate):
        return 7
    if isinstance(node, Number) and math.copysign(1.0, node.value) < 0:
        return 7  # only hand-built trees hold negative literals; they print as "-x"
    if isinstance(node, Power):
        return 8
    return 9


@dataclass(frozen=True, slots=True)
class Spelling:
    """How to print each construct: the canonical text and :func:`describe` differ only here."""

    ref: Mapping[Ref, str] | None = None  # None: canonical ``#{CODE}``
    ops: Mapping[str, str] = field(default_factory=dict)  # operator → shown form
    functions: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, str] = field(default_factory=dict)  # and / or / not / true / false
    number: Callable[[float], str] | None = None  # None: :func:`format_number`


def render(node: Node, spelling: Spelling | None = None) -> str:
    """Print with the fewest parentheses that re-parse to the same tree."""
    sp = spelling or Spelling()

    def op(o: str) -> str:
        return sp.ops.get(o, "-" if o == "neg" else o)

    def word(w: str) -> str:
        return sp.words.get(w, w)

    def sub(child: Node, minimum: int) -> str:
        text = go(child)
        return f"({text})" if precedence(child) < minimum else text

    def go(n: Node) -> str:
        if isinstance(n, Number):
            text = (sp.number or format_number)(abs(n.value))
            return f"{op('neg')}{text}" if precedence(n) == 7 else text
        if isinstance(n, Boolean):
            return word("true" if n.value else "false")
        if isinstance(n, Reference):
            return n.ref.text if sp.ref is None else sp.ref[n.ref]
        if isinstance(n, Negate):
            return op("neg") + sub(n.operand, 8)
        if isinstance(n, Not):
            return f"{word('not')} {sub(n.operand, 3)}"
        if isinstance(n, Arithmetic):
            level = precedence(n)
            parts = [sub(n.first, level)]
            parts += [f" {op(o)} {sub(operand, level + 1)}" for o, operand in n.rest]
            return "".join(parts)
        if isinstance(n, Power):
            return f"{sub(n.base, 9)} {op('^')} {sub(n.exponent, 7)}"
        if isinstance(n, Comparison):
            return f"{sub(n.left, 5)} {op(n.op)} {sub(n.right, 5)}"
        if isinstance(n, Logical):
            level = precedence(n)
            parts = [sub(n.operands[0], level)]
            parts += [f" {word(n.op)} {sub(o, level + 1)}" for o in n.operands[1:]]
            return "".join(parts)
        args = ", ".join(go(a) for a in n.args)
        return f"{sp.functions.get(n.name, n.name)}({args})"

    return go(node)


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed formula. Equal (and equally hashed) when the trees are equal, whatever the
    spacing of the source; ``text`` is the one canonical spelling to store and show."""

    root: Node
    source: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        return render(self.root)

    @property
    def kind(self) -> Kind:
        """``"number"`` for formulas, ``"boolean"`` for conditions."""
        return kind_of(self.root)

    def references(self) -> frozenset[Ref]:
        """Every input the resolver will be asked for (the query engine fetches them first)."""
        return frozenset(n.ref for n in walk(self.root) if isinstance(n, Reference))

    def codes(self) -> frozenset[str]:
        """The indicator codes used (for dependency checks between derived indicators)."""
        return frozenset(ref.code for ref in self.references())

    def __str__(self) -> str:
        return self.text
