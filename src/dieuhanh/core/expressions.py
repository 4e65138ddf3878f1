"""Formulas of derived indicators and validation rules, evaluated by our own safe evaluator.

Users write formulas over readable indicator codes; they are parsed by a small hand-written
parser (:mod:`.expressions_parse`) into a tree (:mod:`.expressions_syntax`) and evaluated here.
No Python ``eval``/``exec`` is ever involved, and the language has no names, attributes,
strings or imports to abuse: text that is not in the reference below is refused, with the
character offset of the mistake.

Language reference
==================

**Values.** Numbers (``1``, ``2.5``, ``.5``, ``1e3``) and conditions (``true``, ``false``). A
formula of a derived indicator yields a number; a condition yields true or false. Mixing them
(``#{A} + (#{B} > 0)``) is refused when the formula is parsed.

**References** to indicator values, resolved for the unit and period being computed:

- ``#{CODE}`` — the total of indicator ``CODE`` (codes: ``[A-Z][A-Z0-9_]*``);
- ``#{CODE:sex=female}``, ``#{CODE:area=urban;sex=female}`` — one disaggregation; the pairs
  are stored sorted by dimension code, so ``sex=female;area=urban`` is the same reference;
- ``#{CODE@-1}`` — the previous period of the query's period type (previous month for a
  monthly query, previous quarter for a quarterly one); ``#{CODE@-12}`` twelve periods back;
  ``#{CODE@+1}`` looks ahead; ``#{CODE:sex=female@-1}`` combines both;
- ``ytd(#{CODE})`` — year to date: from January to the period, aggregated over time by the
  indicator's own rule (sum for flows, last for stocks);
- ``lastyear(#{CODE})`` — the same period one year earlier (``ytd(lastyear(#{CODE}))`` is
  the year-to-date of last year, for "so với cùng kỳ"). The period offset applies first,
  then the year shift, then ``ytd`` widens the period to the start of its year.

**Operators**, loosest first: ``or``; ``and``; ``not``; comparisons ``== != < <= > >=``
(not chained: write ``a < b and b < c``); ``+ -``; ``* /`` and ``%`` (remainder); unary
``-``; ``^`` (power, right-associative, so ``-2 ^ 2`` is -4 and ``2 ^ 3 ^ 2`` is 512).
Parentheses group. ``× ÷ − ≤ ≥ ≠ <>`` are accepted for ``* / - <= >= != !=``. Keywords and
function names are case-insensitive; indicator codes are not.

**Functions**: ``if(condition, a, b)``, ``isNull(x)``, ``coalesce(a, b, …)`` (the first value
that is not missing), ``min(a, …)``, ``max(a, …)``, ``abs(x)``, ``round(x)`` and
``round(x, n)`` (``n`` a whole number from -15 to 15; halves round away from zero, as
statistics offices round: ``round(2.5)`` is 3, ``round(-0.125, 2)`` is -0.13).

**Missing values.** A reference with no value is *missing*, never zero:

- arithmetic, comparisons, ``not``, ``min``, ``max``, ``abs`` and ``round`` with a missing
  input give missing (write ``coalesce(#{A}, 0)`` to count missing as zero);
- ``and``/``or`` use three-valued logic: ``false and missing`` is false, ``true or missing``
  is true, otherwise a missing side gives missing;
- ``if(missing, a, b)`` is **missing**, not ``b``: a condition that cannot be decided must
  not silently pick a branch (that would turn a missing value into a number). Decide
  explicitly with ``if(isNull(#{A}), …, …)`` or ``if(coalesce(#{A} > 0, false), …, …)``;
- ``isNull(x)`` is true when ``x`` is missing; ``coalesce`` skips missing values;
- division (or remainder) by zero, a negative number to a fractional power and results too
  large to represent give missing, never an error; :func:`explain` says which happened.

Equality tolerates floating-point rounding (relative or absolute difference up to 1e-9), so
``0.1 + 0.2 == 0.3`` holds and ``<=``/``>=`` agree with it. Formulas are at most 2,000
characters and 25 levels of nesting.

Python API: :func:`parse` → :class:`Expression` (``.text`` canonical spelling,
``.references()``, ``.kind``); :func:`evaluate`, :func:`explain`, :func:`describe`, and
:func:`compare` for validation rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from typing import Any

from dieuhanh.core.expressions_describe import describe
from dieuhanh.core.expressions_parse import MAX_DEPTH, MAX_LENGTH, parse
from dieuhanh.core.expressions_syntax import (
    COMPARISONS,
    Arithmetic,
    Boolean,
    Call,
    Comparison,
    Expression,
    ExpressionError,
    Kind,
    Logical,
    Negate,
    Node,
    Not,
    Number,
    Power,
    Ref,
    Reference,
    canonical_disagg,
    render,
)
from dieuhanh.core.i18n import N_

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Explanation",
    "Expression",
    "ExpressionError",
    "Kind",
    "MissingStrategy",
    "Ref",
    "Resolver",
    "Value",
    "canonical_disagg",
    "compare",
    "describe",
    "evaluate",
    "explain",
    "parse",
]

Value = float | bool | None
Resolver = Callable[[Ref], float | None]

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-9

# Notes of the explain tree: English message ids, translated by the page that shows them.
NOTE_DIVISION_BY_ZERO = N_("division by zero → missing")
NOTE_NOT_REAL = N_("not a real number → missing")
NOTE_TOO_LARGE = N_("too large to represent → missing")
NOTE_MISSING_INPUT = N_("an input is missing → missing")
NOTE_NO_VALUE = N_("no value")
NOTE_CONDITION_MISSING = N_("the condition is missing → missing")
NOTE_FIRST_BRANCH = N_("condition true → first value")
NOTE_SECOND_BRANCH = N_("condition false → second value")


class _MissingValueError(Exception):
    """Raised inside one operation to turn it into missing with a reason; never escapes."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


# -- the operations, shared by evaluate and explain ----------------------------------------
def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise _MissingValueError(NOTE_TOO_LARGE)
    return value


def _arith(op: str, a: float, b: float) -> float:
    if op == "+":
        return _finite(a + b)
    if op == "-":
        return _finite(a - b)
    if op == "*":
        return _finite(a * b)
    if b == 0:
        raise _MissingValueError(NOTE_DIVISION_BY_ZERO)
    return _finite(a / b if op == "/" else a % b)


def _power(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise _MissingValueError(NOTE_DIVISION_BY_ZERO)
    try:
        return _finite(math.pow(a, b))
    except ValueError:  # negative base, fractional exponent
        raise _MissingValueError(NOTE_NOT_REAL) from None
    except OverflowError:
        raise _MissingValueError(NOTE_TOO_LARGE) from None


def _equal(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def _compare(op: str, a: float | bool, b: float | bool) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return (a == b) == (op == "==")
    equal = _equal(a, b)
    if op == "==":
        return equal
    if op == "!=":
        return not equal
    if op == "<":
        return a < b and not equal
    if op == ">":
        return a > b and not equal
    if op == "<=":
        return a < b or equal
    return a > b or equal


_DECIMALS = Context(prec=1000)


def _round(value: float, digits: int) -> float:
    """Half away from zero on the shortest decimal form (what people see: 1.005 → 1.01)."""
    quantum = Decimal(1).scaleb(-digits)
    exact = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP, context=_DECIMALS)
    return _finite(float(exact))


def _digits(node: Node) -> int:
    """The literal decimals of ``round`` (checked by the parser)."""
    if isinstance(node, Negate):
        return -_digits(node.operand)
    assert isinstance(node, Number)
    return int(node.value)


def _functions(name: str, values: list[float]) -> float:
    if name == "min":
        return min(values)
    if name == "max":
        return max(values)
    return abs(values[0])


class _Inputs:
    """Resolves each reference once per evaluation, so repeated references cost one lookup
    and agree with each other; non-finite input is treated as missing."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.cache: dict[Ref, float | None] = {}

    def __call__(self, ref: Ref) -> float | None:
        if ref in self.cache:
            return self.cache[ref]
        raw = self.resolve(ref)
        value = None if raw is None else float(raw)
        if value is not None and not math.isfinite(value):
            value = None
        self.cache[ref] = value
        return value


# -- evaluate -----------------------------------------------------------------------------------
def _as_expression(expression: Expression | str) -> Expression:
    return parse(expression) if isinstance(expression, str) else expression


def evaluate(expression: Expression | str, resolve: Resolver) -> Value:
    """The value of a formula (a number), a condition (a bool) or ``None`` for missing.

    ``resolve`` is asked once per distinct reference that the evaluation needs (untaken
    ``if`` branches and short-circuited ``and``/``or`` operands are not asked).
    """
    return _eval(_as_expression(expression).root, _Inputs(resolve))


def _eval(node: Node, inputs: _Inputs) -> Value:
    if isinstance(node, Number | Boolean):
        return node.value
    if isinstance(node, Reference):
        return inputs(node.ref)
    if isinstance(node, Arithmetic):
        acc = _eval(node.first, inputs)
        for op, operand in node.rest:
            value = _eval(operand, inputs)
            if acc is None or value is None:
                return None
            try:
                acc = _arith(op, float(acc), float(value))
            except _MissingValueError:
                return None
        return acc
    if isinstance(node, Negate):
        value = _eval(node.operand, inputs)
        return None if value is None else -float(value)
    if isinstance(node, Power):
        base, exponent = _eval(node.base, inputs), _eval(node.exponent, inputs)
        if base is None or exponent is None:
            return None
        try:
            return _power(float(base), float(exponent))
        except _MissingValueError:
            return None
    if isinstance(node, Comparison):
        left, right = _eval(node.left, inputs), _eval(node.right, inputs)
        return None if left is None or right is None else _compare(node.op, left, right)
    if isinstance(node, Not):
        value = _eval(node.operand, inputs)
        return None if value is None else not value
    if isinstance(node, Logical):
        decisive = node.op == "or"  # the value that settles the result on its own
        unknown = False
        for operand in node.operands:
            value = _eval(operand, inputs)
            if value is None:
                unknown = True
            elif bool(value) is decisive:
                return decisive
        return None if unknown else not decisive
    return _eval_call(node, inputs)


def _eval_call(node: Call, inputs: _Inputs) -> Value:
    name, args = node.name, node.args
    if name == "if":
        condition = _eval(args[0], inputs)
        if condition is None:
            return None
        return _eval(args[1] if condition else args[2], inputs)
    if name == "isNull":
        return _eval(args[0], inputs) is None
    if name == "coalesce":
        for arg in args:
            value = _eval(arg, inputs)
            if value is not None:
                return value
        return None
    if name == "round":
        value = _eval(args[0], inputs)
        if value is None:
            return None
        try:
            return _round(float(value), _digits(args[1]) if len(args) == 2 else 0)
        except _MissingValueError:
            return None
    values = [_eval(arg, inputs) for arg in args]
    if any(v is None for v in values):
        return None
    return _functions(name, [float(v) for v in values if v is not None])


# -- explain ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Explanation:
    """One step of a derivation: what was computed (``label``: the canonical text of the
    sub-formula, or of the reference), its value, the steps it came from, the reference if it
    is an input, and a note saying why a value is missing or which branch was taken. The
    query engine grafts its own steps (aggregation over units and time, sources) under the
    reference leaves with :meth:`map_references`."""

    label: str
    value: Value
    children: tuple[Explanation, ...] = ()
    ref: Ref | None = None
    note: str | None = None

    def walk(self) -> Iterator[Explanation]:
        """This step and every step below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def map_references(self, graft: Callable[[Explanation], Explanation]) -> Explanation:
        """A copy with every reference leaf replaced by ``graft(leaf)``."""
        if self.ref is not None:
            return graft(self)
        if not self.children:
            return self
        return replace(self, children=tuple(c.map_references(graft) for c in self.children))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: ``{"label", "value", "ref", "note", "children"}``."""
        return {
            "label": self.label,
            "value": self.value,
            "ref": None if self.ref is None else self.ref.text,
            "note": self.note,
            "children": [c.as_dict() for c in self.children],
        }


def explain(expression: Expression | str, resolve: Resolver) -> Explanation:
    """The derivation tree of :func:`evaluate`'s value (the root's value is the same)."""
    return _explain(_as_expression(expression).root, _Inputs(resolve))


def _step(
    node: Node, value: Value, children: tuple[Explanation, ...] = (), note: str | None = None
) -> Explanation:
    return Explanation(render(node), value, children, None, note)


def _explain(node: Node, inputs: _Inputs) -> Explanation:
    if isinstance(node, Number | Boolean):
        return _step(node, node.value)
    if isinstance(node, Reference):
        value = inputs(node.ref)
        return Explanation(
            node.ref.text, value, (), node.ref, NOTE_NO_VALUE if value is None else None
        )
    if isinstance(node, Arithmetic | Power):
        operands = (
            (node.first, *(o for _op, o in node.rest))
            if isinstance(node, Arithmetic)
            else (node.base, node.exponent)
        )
        ops = [op for op, _o in node.rest] if isinstance(node, Arithmetic) else ["^"]
        steps = tuple(_explain(o, inputs) for o in operands)
        if any(s.value is None for s in steps):
            return _step(node, None, steps, NOTE_MISSING_INPUT)
        acc = float(steps[0].value)  # type: ignore[arg-type]
        try:
            for op, step in zip(ops, steps[1:], strict=True):
                b = float(step.value)  # type: ignore[arg-type]
                acc = _power(acc, b) if op == "^" else _arith(op, acc, b)
        except _MissingValueError as missing:
            return _step(node, None, steps, missing.note)
        return _step(node, acc, steps)
    if isinstance(node, Negate | Not | Comparison):
        operands = (node.left, node.right) if isinstance(node, Comparison) else (node.operand,)
        steps = tuple(_explain(o, inputs) for o in operands)
        if any(s.value is None for s in steps):
            return _step(node, None, steps, NOTE_MISSING_INPUT)
        if isinstance(node, Comparison):
            return _step(node, _compare(node.op, steps[0].value, steps[1].value), steps)  # type: ignore[arg-type]
        value = steps[0].value
        return _step(node, (not value) if isinstance(node, Not) else -float(value), steps)  # type: ignore[arg-type]
    if isinstance(node, Logical):
        decisive = node.op == "or"
        collected: list[Explanation] = []
        for operand in node.operands:
            step = _explain(operand, inputs)
            collected.append(step)
            if step.value is not None and bool(step.value) is decisive:
                return _step(node, decisive, tuple(collected))
        unknown = any(s.value is None for s in collected)
        if unknown:
            return _step(node, None, tuple(collected), NOTE_MISSING_INPUT)
        return _step(node, not decisive, tuple(collected))
    return _explain_call(node, inputs)


def _explain_call(node: Call, inputs: _Inputs) -> Explanation:
    name, args = node.name, node.args
    if name == "if":
        condition = _explain(args[0], inputs)
        if condition.value is None:
            return _step(node, None, (condition,), NOTE_CONDITION_MISSING)
        branch = _explain(args[1] if condition.value else args[2], inputs)
        note = NOTE_FIRST_BRANCH if condition.value else NOTE_SECOND_BRANCH
        return _step(node, branch.value, (condition, branch), note)
    if name == "isNull":
        step = _explain(args[0], inputs)
        return _step(node, step.value is None, (step,))
    if name == "coalesce":
        collected: list[Explanation] = []
        for arg in args:
            step = _explain(arg, inputs)
            collected.append(step)
            if step.value is not None:
                return _step(node, step.value, tuple(collected))
        return _step(node, None, tuple(collected), NOTE_MISSING_INPUT)
    steps = tuple(_explain(arg, inputs) for arg in (args[:1] if name == "round" else args))
    if any(s.value is None for s in steps):
        return _step(node, None, steps, NOTE_MISSING_INPUT)
    numbers = [float(s.value) for s in steps if s.value is not None]
    if name != "round":
        return _step(node, _functions(name, numbers), steps)
    try:
        return _step(node, _round(numbers[0], _digits(args[1]) if len(args) == 2 else 0), steps)
    except _MissingValueError as missing:
        return _step(node, None, steps, missing.note)


# -- validation rules ---------------------------------------------------------------------------
class MissingStrategy(StrEnum):
    """What a validation rule does when a side is missing (DHIS2's three strategies)."""

    SKIP_IF_ANY_MISSING = "skip_if_any_missing"  # either side missing → rule skipped (None)
    SKIP_IF_ALL_MISSING = "skip_if_all_missing"  # both missing → skipped; one → it counts as 0
    NEVER_SKIP = "never_skip"  # a missing side counts as 0


def compare(
    left: float | None,
    operator: str,
    right: float | None,
    missing_strategy: MissingStrategy | str = MissingStrategy.SKIP_IF_ANY_MISSING,
) -> bool | None:
    """Check ``left operator right`` for a validation rule: ``True`` passes, ``False`` is a
    violation, ``None`` means the rule is skipped for this unit and period. Equality uses the
    same rounding tolerance as formulas. Raises ``ValueError`` on an unknown operator or
    strategy (rules are checked when saved, so this is a programming error here)."""
    if operator not in COMPARISONS:
        raise ValueError(f"unknown comparison operator {operator!r}")
    try:
        strategy = MissingStrategy(missing_strategy)
    except ValueError:
        raise ValueError(f"unknown missing-value strategy {missing_strategy!r}") from None
    left = None if left is None or not math.isfinite(left) else float(left)
    right = None if right is None or not math.isfinite(right) else float(right)
    if left is None or right is None:
        if strategy is MissingStrategy.SKIP_IF_ANY_MISSING:
            return None
        if strategy is MissingStrategy.SKIP_IF_ALL_MISSING and left is None and right is None:
            return None
    return _compare(operator, 0.0 if left is None else left, 0.0 if right is None else right)
