"""The safe expression language: parsing, errors, missing values, explain, describe, rules."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dieuhanh.core.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    Explanation,
    ExpressionError,
    MissingStrategy,
    Ref,
    canonical_disagg,
    compare,
    describe,
    evaluate,
    explain,
    parse,
)
from dieuhanh.core.i18n import gettext

Env = Mapping[str, float | None]


def resolver(env: Env) -> Any:
    """Resolve a reference by its canonical text first, then by its bare code."""

    def resolve(ref: Ref) -> float | None:
        return env[ref.text] if ref.text in env else env.get(ref.code)

    return resolve


def value(text: str, **env: float | None) -> float | bool | None:
    return evaluate(parse(text), resolver(env))


# -- parsing every construct ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical", "kind"),
    [
        ("1", "1", "number"),
        ("2.50", "2.5", "number"),
        (".5", "0.5", "number"),
        ("1e3", "1000", "number"),
        ("1.5E-5", "1.5e-05", "number"),
        ("1e20", "1e+20", "number"),
        ("#{GRDP}", "#{GRDP}", "number"),
        ("#{ POP_2 }", "#{POP_2}", "number"),
        ("#{POP:sex=female}", "#{POP:sex=female}", "number"),
        ("#{POP:sex=female;area=urban}", "#{POP:area=urban;sex=female}", "number"),
        ("#{POP: sex = female ; area = urban }", "#{POP:area=urban;sex=female}", "number"),
        ("#{POP@-1}", "#{POP@-1}", "number"),
        ("#{POP@ -12 }", "#{POP@-12}", "number"),
        ("#{POP@+1}", "#{POP@+1}", "number"),
        ("#{POP@0}", "#{POP}", "number"),
        ("#{POP:sex=male@-1}", "#{POP:sex=male@-1}", "number"),
        ("YTD(#{X})", "ytd(#{X})", "number"),
        ("lastyear(#{X})", "lastyear(#{X})", "number"),
        ("lastyear(ytd(#{X@-1}))", "ytd(lastyear(#{X@-1}))", "number"),
        ("lastyear(lastyear(#{X}))", "lastyear(lastyear(#{X}))", "number"),
        ("1+2-3", "1 + 2 - 3", "number"),
        ("2*3/4%5", "2 * 3 / 4 % 5", "number"),
        ("2^3", "2 ^ 3", "number"),
        ("-#{A}", "-#{A}", "number"),
        ("+#{A}", "#{A}", "number"),
        ("- -1", "-(-1)", "number"),
        ("((1))", "1", "number"),
        ("(1 + 2) + 3", "1 + 2 + 3", "number"),
        ("1 + (2 + 3)", "1 + (2 + 3)", "number"),
        ("1 - (2 - 3)", "1 - (2 - 3)", "number"),
        ("(1 + 2) * 3", "(1 + 2) * 3", "number"),
        ("(-2) ^ 2", "(-2) ^ 2", "number"),
        ("(2 ^ 3) ^ 2", "(2 ^ 3) ^ 2", "number"),
        ("2 ^ (3 ^ 2)", "2 ^ 3 ^ 2", "number"),
        ("2 ^ -1", "2 ^ -1", "number"),
        ("3 × 4 ÷ 2 − 1", "3 * 4 / 2 - 1", "number"),
        ("#{A} == 1", "#{A} == 1", "boolean"),
        ("#{A}!=1", "#{A} != 1", "boolean"),
        ("#{A} <> 1", "#{A} != 1", "boolean"),
        ("#{A} ≤ 1", "#{A} <= 1", "boolean"),
        ("#{A} >= 1", "#{A} >= 1", "boolean"),
        ("#{A} < 1", "#{A} < 1", "boolean"),
        ("#{A} > 1", "#{A} > 1", "boolean"),
        ("TRUE", "true", "boolean"),
        ("false", "false", "boolean"),
        ("true AND false Or true", "true and false or true", "boolean"),
        ("true and (false or true)", "true and (false or true)", "boolean"),
        ("not true", "not true", "boolean"),
        ("not (#{A} > 1)", "not #{A} > 1", "boolean"),
        ("(true == false) == true", "(true == false) == true", "boolean"),
        ("if(#{A} > 0, 1, 2)", "if(#{A} > 0, 1, 2)", "number"),
        ("IF(true, false, true)", "if(true, false, true)", "boolean"),
        ("isnull(#{A})", "isNull(#{A})", "boolean"),
        ("coalesce(#{A}, #{B}, 0)", "coalesce(#{A}, #{B}, 0)", "number"),
        ("min(#{A})", "min(#{A})", "number"),
        ("max(1, 2, 3)", "max(1, 2, 3)", "number"),
        ("abs(-1)", "abs(-1)", "number"),
        ("round(#{A})", "round(#{A})", "number"),
        ("round(#{A}, -2)", "round(#{A}, -2)", "number"),
    ],
)
def test_every_construct_parses_to_its_canonical_text(text: str, canonical: str, kind: str) -> None:
    expression = parse(text)
    assert expression.text == canonical
    assert expression.kind == kind
    assert parse(canonical) == expression
    assert str(expression) == canonical
    assert expression.source == text


def test_trees_are_values_independent_of_spelling() -> None:
    assert parse("#{A}+1") == parse(" ( #{A} )  +  1 ")
    assert hash(parse("#{A:sex=f;area=u}")) == hash(parse("#{A:area=u;sex=f}"))
    assert parse("1 + 2") != parse("2 + 1")


def test_references_are_extracted_with_their_modifiers() -> None:
    expression = parse(
        "#{A} + #{A} + #{A:sex=female@-1} + ytd(#{B}) + lastyear(#{B}) + ytd(lastyear(#{C}))"
        " + if(isNull(#{D@-12}), 0, 1)"
    )
    assert expression.references() == {
        Ref("A"),
        Ref("A", "sex=female", offset=-1),
        Ref("B", ytd=True),
        Ref("B", offset_years=-1),
        Ref("C", offset_years=-1, ytd=True),
        Ref("D", offset=-12),
    }
    assert expression.codes() == {"A", "B", "C", "D"}
    assert parse("1 + 2").references() == frozenset()


def test_refs_are_canonical_hashable_values() -> None:
    ref = Ref("POP", "sex=female;area=urban", offset=-1, offset_years=-1, ytd=True)
    assert ref.disagg == "area=urban;sex=female"
    assert ref == Ref("POP", "area=urban;sex=female", -1, -1, True)
    assert len({ref, Ref("POP", "area=urban;sex=female", -1, -1, True)}) == 1
    assert ref.text == "ytd(lastyear(#{POP:area=urban;sex=female@-1}))"
    assert parse(ref.text).references() == {ref}
    assert Ref("X", offset=3).text == "#{X@+3}"
    with pytest.raises(ValueError, match="indicator code"):
        Ref("pop")
    with pytest.raises(ValueError, match="offset"):
        Ref("POP", offset_years=1)
    with pytest.raises(ValueError, match="twice"):
        Ref("POP", "sex=f;sex=m")


def test_canonical_disaggregation() -> None:
    assert canonical_disagg("") == ""
    assert canonical_disagg("  ") == ""
    assert canonical_disagg("sex=female") == "sex=female"
    assert canonical_disagg("sex = female; age_group=15-59 ;area=urban") == (
        "age_group=15-59;area=urban;sex=female"
    )
    for bad in ("sex", "sex=", "=female", "sex=fe male", "1sex=f", "sex=f;sex=m"):
        with pytest.raises(ExpressionError):
            canonical_disagg(bad)


# -- precedence and arithmetic ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4 ^ 2", 50.0),  # 4^2=16, 3*16=48, 2+48
        ("(2 + 3) * 4 ^ 2", 80.0),
        ("-2 ^ 2", -4.0),  # power binds tighter than unary minus
        ("(-2) ^ 2", 4.0),
        ("2 ^ 3 ^ 2", 512.0),  # right-associative: 2^9
        ("(2 ^ 3) ^ 2", 64.0),
        ("2 ^ -1", 0.5),
        ("10 - 4 - 3", 3.0),  # left-associative
        ("10 - (4 - 3)", 9.0),
        ("100 / 10 / 5", 2.0),
        ("2 * 3 % 4", 2.0),  # (2*3) % 4
        ("7 % 3", 1.0),
        ("-7 % 3", 2.0),  # remainder takes the divisor's sign
        ("1 + -2", -1.0),
        ("3 * -2", -6.0),
        ("- - 4", 4.0),
        ("1e3 / 8", 125.0),
        ("min(3, 1, 2) + max(3, 1, 2)", 4.0),
        ("abs(-2.5)", 2.5),
        ("1 + 2 == 3", True),
        ("1 + 2 * 3 > 6", True),
        ("not true or true", True),  # (not true) or true
        ("not (true or true)", False),
        ("true or true and false", True),  # true or (true and false)
        ("(true or true) and false", False),
        ("not 1 > 2", True),
        ("1 < 2 and 2 < 3", True),
        ("true == (1 > 0)", True),
        ("0.1 + 0.2 == 0.3", True),  # equality tolerates rounding
        ("0.1 + 0.2 <= 0.3", True),
        ("0.1 + 0.2 > 0.3", False),
        ("1000000000 == 1000000000.5", True),  # within 1e-9 relative
        ("1 == 1.001", False),
        ("2 != 2", False),
        ("if(1 > 0, 10, 20)", 10.0),
        ("if(1 < 0, 10, 20)", 20.0),
    ],
)
def test_precedence_and_arithmetic(text: str, expected: float | bool) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("round(2.5)", 3.0),  # half away from zero, not Python's half-to-even
        ("round(3.5)", 4.0),
        ("round(-2.5)", -3.0),
        ("round(2.4)", 2.0),
        ("round(1.005, 2)", 1.01),  # what people see, not the binary 1.00499…
        ("round(-0.125, 2)", -0.13),
        ("round(1234.5, -2)", 1200.0),
        ("round(1250, -2)", 1300.0),
        ("round(2.675, 2)", 2.68),
        ("round(1e300, 15)", 1e300),
    ],
)
def test_round_half_away_from_zero(text: str, expected: float) -> None:
    assert value(text) == expected


def test_values_of_references() -> None:
    env = {"BUDGET_REVENUE": 1200.0, "BUDGET_REVENUE_PLAN": 1500.0}
    assert value("#{BUDGET_REVENUE} / #{BUDGET_REVENUE_PLAN} * 100", **env) == 80.0
    assert value("#{A@-1}", **{"#{A@-1}": 7.0, "A": 1.0}) == 7.0
    assert (
        value("ytd(#{A}) - ytd(lastyear(#{A}))", **{"ytd(#{A})": 30.0, "ytd(lastyear(#{A}))": 20.0})
        == 10.0
    )
    assert value("#{A} * 2", A=3) == 6.0  # an int from the resolver is a number


def test_evaluate_accepts_text_and_resolves_each_reference_once() -> None:
    asked: list[Ref] = []

    def resolve(ref: Ref) -> float | None:
        asked.append(ref)
        return 2.0

    assert evaluate("#{A} * #{A} + #{A} + #{B@-1}", resolve) == 8.0
    assert sorted(r.text for r in asked) == ["#{A}", "#{B@-1}"]


def test_untaken_branches_are_not_resolved() -> None:
    asked: list[str] = []

    def resolve(ref: Ref) -> float | None:
        asked.append(ref.code)
        return 1.0

    assert evaluate("if(#{C} > 0, #{A}, #{B})", resolve) == 1.0
    assert asked == ["C", "A"]
    asked.clear()
    assert evaluate("coalesce(#{A}, #{B})", resolve) == 1.0
    assert evaluate("#{A} > 0 or #{B} > 0", resolve) is True
    assert evaluate("#{A} < 0 and #{B} > 0", resolve) is False
    assert asked == ["A", "A", "A"]  # B is never needed


# -- missing values -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#{M}", None),
        ("#{M} + 1", None),
        ("1 - #{M}", None),
        ("#{M} * 0", None),  # missing is not zero
        ("0 / #{M}", None),
        ("#{M} ^ 0", None),
        ("-#{M}", None),
        ("#{M} > 0", None),
        ("#{M} == #{M}", None),
        ("not (#{M} > 0)", None),
        ("#{M} > 0 and false", False),  # three-valued logic
        ("false and #{M} > 0", False),
        ("#{M} > 0 and true", None),
        ("#{M} > 0 or true", True),
        ("#{M} > 0 or false", None),
        ("if(#{M} > 0, 1, 2)", None),  # an undecidable condition picks no branch
        ("if(true, #{M}, 2)", None),
        ("if(false, #{M}, 2)", 2.0),
        ("if(isNull(#{M}), 0, #{M})", 0.0),
        ("if(coalesce(#{M} > 0, false), 1, 2)", 2.0),
        ("isNull(#{M})", True),
        ("isNull(#{A})", False),
        ("isNull(#{M} + #{A})", True),
        ("isNull(#{A} / 0)", True),
        ("isNull(#{M} > 0)", True),
        ("coalesce(#{M}, #{A})", 5.0),
        ("coalesce(#{M}, #{M})", None),
        ("coalesce(#{M}, 0) + 1", 1.0),
        ("coalesce(#{M} > 0, true)", True),
        ("min(#{A}, #{M})", None),
        ("max(#{M}, 1)", None),
        ("abs(#{M})", None),
        ("round(#{M}, 1)", None),
        ("#{NAN}", None),  # a non-finite input is treated as missing
        ("#{INF} - #{INF}", None),
    ],
)
def test_missing_values(text: str, expected: float | bool | None) -> None:
    result = value(text, M=None, A=5.0, NAN=math.nan, INF=math.inf)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("#{A} / 0", "division by zero → missing"),
        ("#{A} / (#{A} - 5)", "division by zero → missing"),
        ("#{A} % 0", "division by zero → missing"),
        ("0 ^ -1", "division by zero → missing"),
        ("(-8) ^ (1 / 3)", "not a real number → missing"),
        ("10 ^ 400", "too large to represent → missing"),
        ("1e308 * 10", "too large to represent → missing"),
        ("1e308 + 1e308", "too large to represent → missing"),
    ],
)
def test_impossible_arithmetic_is_missing_with_a_reason(text: str, note: str) -> None:
    resolve = resolver({"A": 5.0})
    assert evaluate(text, resolve) is None
    tree = explain(text, resolve)
    assert tree.value is None
    assert tree.note == note


# -- explain ------------------------------------------------------------------------------------
def test_explain_is_the_derivation_tree() -> None:
    env = {"BUDGET_REVENUE": 1200.0, "BUDGET_REVENUE_PLAN": 1500.0}
    tree = explain("#{BUDGET_REVENUE} / #{BUDGET_REVENUE_PLAN} * 100", resolver(env))
    assert tree == Explanation(
        "#{BUDGET_REVENUE} / #{BUDGET_REVENUE_PLAN} * 100",
        80.0,
        (
            Explanation("#{BUDGET_REVENUE}", 1200.0, (), Ref("BUDGET_REVENUE")),
            Explanation("#{BUDGET_REVENUE_PLAN}", 1500.0, (), Ref("BUDGET_REVENUE_PLAN")),
            Explanation("100", 100.0),
        ),
    )
    assert [s.label for s in tree.walk()] == [
        "#{BUDGET_REVENUE} / #{BUDGET_REVENUE_PLAN} * 100",
        "#{BUDGET_REVENUE}",
        "#{BUDGET_REVENUE_PLAN}",
        "100",
    ]


def test_explain_says_why_a_value_is_missing() -> None:
    tree = explain("(#{A} / #{B} + 1) * 2", resolver({"A": 10.0, "B": 0.0}))
    assert tree.value is None
    assert tree.note == "an input is missing → missing"
    quotient = tree.children[0].children[0]
    assert (quotient.label, quotient.value, quotient.note) == (
        "#{A} / #{B}",
        None,
        "division by zero → missing",
    )
    assert [c.value for c in quotient.children] == [10.0, 0.0]
    leaf = explain("#{M} + 1", resolver({"M": None})).children[0]
    assert (leaf.ref, leaf.value, leaf.note) == (Ref("M"), None, "no value")


def test_explain_shows_the_branch_taken() -> None:
    taken = explain("if(#{A} > 3, #{A} * 2, 0)", resolver({"A": 5.0}))
    assert taken.value == 10.0
    assert taken.note == "condition true → first value"
    assert [c.label for c in taken.children] == ["#{A} > 3", "#{A} * 2"]
    other = explain("if(#{A} > 6, #{A} * 2, 0)", resolver({"A": 5.0}))
    assert (other.value, other.note) == (0.0, "condition false → second value")
    unknown = explain("if(#{M} > 6, 1, 0)", resolver({"M": None}))
    assert (unknown.value, unknown.note) == (None, "the condition is missing → missing")
    assert len(unknown.children) == 1


def test_explanation_grafts_and_serialises() -> None:
    tree = explain("#{A} + 1", resolver({"A": 2.0}))

    def graft(leaf: Explanation) -> Explanation:
        source = Explanation("commune 00004", 2.0, note="reported")
        return Explanation(leaf.label, leaf.value, (source,), leaf.ref, "sum of 1 unit")

    grafted = tree.map_references(graft)
    assert grafted.children[0].children[0].label == "commune 00004"
    assert grafted.children[1] == tree.children[1]
    assert grafted.as_dict() == {
        "label": "#{A} + 1",
        "value": 3.0,
        "ref": None,
        "note": None,
        "children": [
            {
                "label": "#{A}",
                "value": 2.0,
                "ref": "#{A}",
                "note": "sum of 1 unit",
                "children": [
                    {
                        "label": "commune 00004",
                        "value": 2.0,
                        "ref": None,
                        "note": "reported",
                        "children": [],
                    }
                ],
            },
            {"label": "1", "value": 1.0, "ref": None, "note": None, "children": []},
        ],
    }


# -- errors with positions ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("#{BAD", 5, "Unclosed reference: expected '}'"),
        ("#{BAD + 1}", 6, "Unexpected '+' in a reference"),
        ("#BAD", 0, "'#' must start a reference such as #{CODE}"),
        ("#{}", 2, "Expected an indicator code"),
        ("#{grdp}", 2, "did you mean #{GRDP}?"),
        ("#{1ABC}", 2, "'1ABC' is not an indicator code"),
        ("#{" + "A" * 65 + "}", 2, "at most 64 characters"),
        ("#{A:}", 4, "Expected dimension=category"),
        ("#{A:sex}", 4, "'sex' is not dimension=category"),
        ("#{A:area=urban;sex}", 15, "'sex' is not dimension=category"),
        ("#{A:sex=f;sex=m}", 10, "given twice"),
        ("#{A@x}", 4, "Expected a whole number of periods"),
        ("#{A@-1.5}", 6, "Unexpected '.' in a reference"),
        ("#{A@-5000}", 4, "at most 1200"),
        ("1 +", 3, "Expected a number, a reference #{CODE} or '(' but the formula ended"),
        ("1 + * 2", 4, "found '*'"),
        ("(1 + 2", 6, "Expected ')' but the formula ended"),
        ("1 + 2)", 5, "Expected an operator or the end of the formula, found ')'"),
        ("1 2", 2, "found '2'"),
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("foo(1)", 0, "Unknown function 'foo'"),
        ('__import__("os")', 0, "Unknown function '__import__'"),
        ("eval(1)", 0, "Unknown function 'eval'"),
        ("x + 1", 0, "Unknown name 'x': indicator codes are written #{x}"),
        ("GRDP * 2", 0, "Unknown name 'GRDP'"),
        ("abs + 1", 0, "Expected '(' after 'abs'"),
        ("#{A}.value", 4, "not part of the language"),
        ("abs.__class__", 3, "attribute access"),
        ("(1).real", 3, "not part of the language"),
        ("#{A}[0]", 4, "'[' is not part of the language"),
        ("'os'", 0, "no text strings"),
        ("1 = 1", 2, "Use '==' to compare"),
        ("1 ; 2", 2, "Unexpected character ';'"),
        ("lambda: 1", 6, "Unexpected character ':'"),
        ("2x", 1, "Unexpected 'x' after the number"),
        ("1.2.3", 3, "Unexpected '.' after the number"),
        ("1e999", 0, "too large"),
        ("đ + 1", 0, "Unexpected character 'đ'"),
        ("1 < 2 < 3", 6, "cannot be chained"),
        ("#{A} + (1 > 0)", 8, "Expected a number here, not a condition"),
        ("(1 > 0) * 2", 1, "Expected a number here"),
        ("-true", 1, "Expected a number here"),
        ("true ^ 2", 0, "Expected a number here"),
        ("1 and true", 0, "Expected a condition"),
        ("not 1", 4, "Expected a condition"),
        ("true < false", 0, "Expected a number here"),
        ("1 == true", 5, "Cannot compare a number with a condition"),
        ("1 + not true", 4, "Put 'not …' in parentheses"),
        ("and true", 0, "'and' needs a condition before it"),
        ("if(1, 2, 3)", 3, "must be a condition"),
        ("if(true, 2, false)", 12, "Both values of if()"),
        ("if(true, 2)", 0, "if() takes 3 arguments, not 2"),
        ("isNull()", 0, "isNull() takes 1 arguments, not 0"),
        ("coalesce(1)", 0, "coalesce() takes 2+ arguments, not 1"),
        ("coalesce(1, true)", 12, "all numbers or all conditions"),
        ("min()", 0, "min() takes 1+ arguments"),
        ("abs(1, 2)", 0, "abs() takes 1 arguments, not 2"),
        ("abs(true)", 4, "Expected a number here"),
        ("round(1, 2, 3)", 0, "round() takes 1-2 arguments"),
        ("round(1, 1.5)", 9, "whole number from -15 to 15"),
        ("round(1, #{A})", 9, "whole number from -15 to 15"),
        ("round(1, 16)", 9, "whole number from -15 to 15"),
        ("ytd(1)", 0, "ytd() takes one indicator reference"),
        ("ytd(#{A} + 1)", 9, "Expected ')', found '+'"),
        ("lastyear(abs(#{A}))", 0, "lastyear() takes one indicator reference"),
        ("ytd(ytd(#{A}))", 0, "already year-to-date"),
        ("ytd", 0, "Expected '(' after 'ytd'"),
        ("1 +" + " 1 +" * 700, MAX_LENGTH, "longer than 2000 characters"),
        ("(" * 26 + "1" + ")" * 26, 25, "nested more than 25 levels"),
        ("-" * 26 + "1", 25, "nested more than 25 levels"),
        ("abs(" * 26 + "1" + ")" * 26, 100, "nested more than 25 levels"),
    ],
)
def test_errors_point_at_the_mistake(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert caught.value.position == position
    assert isinstance(caught.value, ValueError)


def test_errors_can_be_shown_in_vietnamese_and_with_a_caret() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("#{A} +\n foo(1)")
    error = caught.value
    assert error.template == "Unknown function '{name}'; the functions are {available}"
    assert error.params["name"] == "foo"
    assert error.pointer("#{A} +\n foo(1)") == f" foo(1)\n ^ {error.message}"
    vietnamese = gettext(error.template, "vi").format(**error.params)
    assert vietnamese.startswith("Không có hàm 'foo'")


def test_the_deepest_allowed_formulas_evaluate_without_recursion_trouble() -> None:
    deep = "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert value(deep) == 1.0
    # each level nests a call, a parenthesis, "not", unary minus and "^" (5 depth units)
    nested = "#{A}"
    for level in range(MAX_DEPTH // 5):
        nested = f"if(not (#{{A}} > {level}), 0, -abs({nested}) ^ 1) + 1"
    expression = parse(nested)
    assert parse(expression.text) == expression
    # A = 10 > level everywhere, so each level is -|x| + 1: 10 → -9 → -8 → -7 → -6 → -5
    assert evaluate(expression, resolver({"A": 10.0})) == -5.0
    assert explain(expression, resolver({"A": 10.0})).value == -5.0
    assert describe(expression, {"A": "Dân số"}).count("Dân số") == 6
    long_sum = " + ".join(["#{A}"] * 280)  # a flat chain is one node, not 280 levels
    assert len(long_sum) < MAX_LENGTH
    assert value(long_sum, A=1.0) == 280.0
    assert explain(long_sum, resolver({"A": 1.0})).value == 280.0


# -- describe -----------------------------------------------------------------------------------
NAMES = {
    "BUDGET_REVENUE": "Thu ngân sách nhà nước",
    "BUDGET_REVENUE_PLAN": "Kế hoạch thu ngân sách",
    "EXPORT": "Kim ngạch xuất khẩu",
    "POP": "Dân số trung bình",
    "POP:sex=female": "Dân số nữ",
}


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        (
            "#{BUDGET_REVENUE} / #{BUDGET_REVENUE_PLAN} * 100",
            "vi",
            "Thu ngân sách nhà nước ÷ Kế hoạch thu ngân sách × 100",
        ),
        (
            "(ytd(#{EXPORT}) - ytd(lastyear(#{EXPORT}))) / ytd(lastyear(#{EXPORT})) * 100",
            "vi",
            "(Kim ngạch xuất khẩu (lũy kế từ đầu năm) − Kim ngạch xuất khẩu (lũy kế từ đầu năm,"
            " cùng kỳ năm trước)) ÷ Kim ngạch xuất khẩu (lũy kế từ đầu năm, cùng kỳ năm trước)"
            " × 100",
        ),
        ("#{EXPORT@-1} * 2.5", "vi", "Kim ngạch xuất khẩu (kỳ trước) × 2,5"),
        ("#{EXPORT@-1} * 2.5", "en", "Kim ngạch xuất khẩu (previous period) × 2.5"),
        ("#{EXPORT@-12} * 1000000", "vi", "Kim ngạch xuất khẩu (12 kỳ trước) × 1.000.000"),
        ("lastyear(lastyear(#{EXPORT}))", "vi", "Kim ngạch xuất khẩu (cùng kỳ 2 năm trước)"),
        ("#{POP:sex=female} / #{POP}", "vi", "Dân số nữ ÷ Dân số trung bình"),
        ("#{POP:area=urban@+1}", "en", "Dân số trung bình (area=urban, next period)"),
        ("#{UNKNOWN} >= 1 and not true", "vi", "UNKNOWN ≥ 1 và không đúng"),
        ("#{UNKNOWN} != -1 or false", "en", "UNKNOWN ≠ −1 or false"),
        (
            "if(isNull(#{POP}), 0, #{POP})",
            "vi",
            "nếu(thiếu số liệu(Dân số trung bình), 0, Dân số trung bình)",
        ),
    ],
)
def test_describe_reads_like_the_statistics_office(text: str, locale: str, expected: str) -> None:
    assert describe(parse(text), NAMES, locale=locale) == expected


# -- validation rule comparisons ----------------------------------------------------------------
ANY, ALL, NEVER = (
    MissingStrategy.SKIP_IF_ANY_MISSING,
    MissingStrategy.SKIP_IF_ALL_MISSING,
    MissingStrategy.NEVER_SKIP,
)


@pytest.mark.parametrize(
    ("left", "operator", "right", "strategy", "expected"),
    [
        (10.0, "==", 10.0, ANY, True),
        (10.0, "!=", 10.0, ANY, False),
        (10.0, "<=", 9.0, ANY, False),
        (10.0, ">=", 9.0, ANY, True),
        (9.0, "<", 10.0, ANY, True),
        (10.0, ">", 10.0, ANY, False),
        (0.1 + 0.2, "==", 0.3, ANY, True),  # rounding noise is not a violation
        (0.1 + 0.2, ">", 0.3, ANY, False),
        (None, "==", 0.0, ANY, None),  # skipped
        (5.0, "<=", None, ANY, None),
        (None, "==", None, ANY, None),
        (None, "==", 0.0, ALL, True),  # one side missing: counts as 0
        (5.0, "<=", None, ALL, False),
        (None, "==", None, ALL, None),
        (None, "==", None, NEVER, True),
        (5.0, ">", None, NEVER, True),
        (None, ">", 5.0, NEVER, False),
        (math.nan, "==", 1.0, ANY, None),  # non-finite is missing
        (7.0, "==", 7.0, "skip_if_any_missing", True),  # stored strings work as strategies
        (None, "<", 1.0, "never_skip", True),
    ],
)
def test_compare_for_validation_rules(
    left: float | None,
    operator: str,
    right: float | None,
    strategy: MissingStrategy | str,
    expected: bool | None,
) -> None:
    assert compare(left, operator, right, strategy) is expected


def test_compare_refuses_unknown_operators_and_strategies() -> None:
    with pytest.raises(ValueError, match="operator"):
        compare(1.0, "=", 1.0, ANY)
    with pytest.raises(ValueError, match="strategy"):
        compare(1.0, "==", 1.0, "skip_sometimes")
    assert compare(1.0, "==", 1.0) is True  # skip_if_any_missing by default


# -- properties ---------------------------------------------------------------------------------
# A generated tree is a nested tuple; it is printed fully parenthesised (independently of our
# canonical printer) and evaluated by plain Python arithmetic as the reference semantics.
CODES = ("A", "B", "C")
ARITHMETIC = ("+", "-", "*", "/", "%", "^")
Tree = tuple[Any, ...]
literals = st.one_of(
    st.integers(0, 1000).map(float),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 0.5, 2.0, 1e-7, 1e300]),
)
envs = st.fixed_dictionaries(
    {
        code: st.one_of(
            st.none(),
            st.integers(-5, 5).map(float),
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        )
        for code in CODES
    }
)


@st.composite
def numeric(draw: st.DrawFn, depth: int = 4, arithmetic_only: bool = False) -> Tree:
    leaves = st.one_of(
        st.tuples(st.just("num"), literals), st.tuples(st.just("ref"), st.sampled_from(CODES))
    )
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaves)
    sub = numeric(depth - 1, arithmetic_only)
    shapes = (
        ["neg", "bin"]
        if arithmetic_only
        else ["neg", "bin", "bin", "if", "coalesce", "min", "max", "abs"]
    )
    shape = draw(st.sampled_from(shapes))
    if shape == "neg" or shape == "abs":
        return (shape, draw(sub))
    if shape == "bin":
        return ("bin", draw(st.sampled_from(ARITHMETIC)), draw(sub), draw(sub))
    if shape == "if":
        return ("if", draw(condition(depth - 1)), draw(sub), draw(sub))
    return (shape, draw(sub), draw(sub))


@st.composite
def condition(draw: st.DrawFn, depth: int = 3) -> Tree:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return ("bool", draw(st.booleans()))
    shape = draw(st.sampled_from(["cmp", "cmp", "not", "and", "or", "isnull", "if"]))
    if shape == "cmp":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return ("cmp", op, draw(numeric(depth - 1)), draw(numeric(depth - 1)))
    if shape == "not":
        return ("not", draw(condition(depth - 1)))
    if shape == "isnull":
        return ("isnull", draw(numeric(depth - 1)))
    if shape == "if":
        return (
            "if",
            draw(condition(depth - 1)),
            draw(condition(depth - 1)),
            draw(condition(depth - 1)),
        )
    return (shape, draw(condition(depth - 1)), draw(condition(depth - 1)))


def to_text(tree: Tree) -> str:
    shape = tree[0]
    if shape == "num":
        return repr(tree[1])
    if shape == "bool":
        return "true" if tree[1] else "false"
    if shape == "ref":
        return f"#{{{tree[1]}}}"
    if shape == "neg":
        return f"-({to_text(tree[1])})"
    if shape == "not":
        return f"not ({to_text(tree[1])})"
    if shape in ("bin", "cmp"):
        return f"({to_text(tree[2])}) {tree[1]} ({to_text(tree[3])})"
    if shape in ("and", "or"):
        return f"({to_text(tree[1])}) {shape} ({to_text(tree[2])})"
    name = {"isnull": "isNull"}.get(shape, shape)
    return f"{name}({', '.join(to_text(t) for t in tree[1:])})"


def python_value(tree: Tree, env: Mapping[str, float | None]) -> float | bool | None:
    """The reference semantics, written with Python's own operators."""
    shape = tree[0]
    if shape in ("num", "bool", "ref"):
        leaf: float | bool | None = env[tree[1]] if shape == "ref" else tree[1]
        return leaf
    if shape == "isnull":
        return python_value(tree[1], env) is None
    if shape == "coalesce":
        first = python_value(tree[1], env)
        return first if first is not None else python_value(tree[2], env)
    if shape == "if":
        test = python_value(tree[1], env)
        return None if test is None else python_value(tree[2] if test else tree[3], env)
    if shape in ("and", "or"):
        p, q = python_value(tree[1], env), python_value(tree[2], env)
        if shape == "and":
            return False if p is False or q is False else None if p is None or q is None else True
        return True if p is True or q is True else None if p is None or q is None else False
    if shape == "not":
        inner = python_value(tree[1], env)
        return None if inner is None else not inner
    values = [python_value(t, env) for t in tree[1 + (shape in ("bin", "cmp")) :]]
    if any(v is None for v in values):
        return None
    args = [float(v) for v in values if v is not None]  # numbers only from here on
    if shape == "neg":
        return -args[0]
    if shape == "abs":
        return abs(args[0])
    if shape in ("min", "max"):
        return min(args) if shape == "min" else max(args)
    a, b = args
    op = tree[1]
    if shape == "cmp":
        close = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return {
            "==": close,
            "!=": not close,
            "<": a < b and not close,
            "<=": a < b or close,
            ">": a > b and not close,
            ">=": a > b or close,
        }[op]
    operations: dict[str, Callable[[], float | complex]] = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "%": lambda: a % b,
        "^": lambda: a**b,
    }
    try:
        result = operations[op]()
    except (ZeroDivisionError, OverflowError):
        return None
    if isinstance(result, complex) or not math.isfinite(result):
        return None
    return result


@settings(max_examples=400, deadline=None)
@given(numeric(arithmetic_only=True), envs)
def test_arithmetic_equals_python_arithmetic(tree: Tree, env: dict[str, float | None]) -> None:
    expression = parse(to_text(tree))
    assert evaluate(expression, resolver(env)) == python_value(tree, env)


@settings(max_examples=400, deadline=None)
@given(st.one_of(numeric(), condition()), envs)
def test_every_construct_follows_the_reference_semantics(
    tree: Tree, env: dict[str, float | None]
) -> None:
    expression = parse(to_text(tree))
    expected = python_value(tree, env)
    result = evaluate(expression, resolver(env))
    assert result == expected
    assert (result is None) == (expected is None)
    tree_of_steps = explain(expression, resolver(env))
    assert tree_of_steps.value == result
    for step in tree_of_steps.walk():
        if step.ref is not None:
            assert step.value == env[step.ref.code]


@settings(max_examples=300, deadline=None)
@given(st.one_of(numeric(), condition()))
def test_canonical_text_round_trips(tree: Tree) -> None:
    expression = parse(to_text(tree))
    again = parse(expression.text)
    assert again == expression
    assert again.text == expression.text
    assert again.references() == expression.references()
    assert expression.kind == tree_kind(tree)


def tree_kind(tree: Tree) -> str:
    if tree[0] in ("bool", "cmp", "not", "and", "or", "isnull"):
        return "boolean"
    return tree_kind(tree[2]) if tree[0] == "if" else "number"
