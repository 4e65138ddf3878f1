"""Formulas for people: :func:`describe` prints a formula with indicator names instead of codes.

Separate from the evaluator because it is presentation (translated words, locale number
formats) and only the pages need it; :mod:`dieuhanh.core.expressions` re-exports it.
"""

from __future__ import annotations

from collections.abc import Mapping

from dieuhanh.core.expressions_parse import parse
from dieuhanh.core.expressions_syntax import (
    Expression,
    Ref,
    Reference,
    Spelling,
    format_number,
    render,
    walk,
)
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.i18n import format_number as format_locale_number

_SYMBOLS = {"*": "×", "/": "÷", "-": "−", "neg": "−", "==": "=", "!=": "≠", "<=": "≤", ">=": "≥"}
_SYMBOLS["%"] = "mod"
_WORDS = {
    "and": N_("and"),
    "or": N_("or"),
    "not": N_("not"),
    "true": N_("true"),
    "false": N_("false"),
}
_FUNCTION_NAMES = {
    "if": N_("if"),
    "isNull": N_("is missing"),
    "coalesce": N_("first available"),
    "min": N_("minimum"),
    "max": N_("maximum"),
    "abs": N_("absolute value"),
    "round": N_("rounded"),
}


def _ref_label(ref: Ref, names: Mapping[str, str], locale: str) -> str:
    qualifiers: list[str] = []
    name = names.get(f"{ref.code}:{ref.disagg}") if ref.disagg else None
    if name is None:
        name = names.get(ref.code, ref.code)
        if ref.disagg:
            qualifiers.append(ref.disagg.replace(";", ", "))
    if ref.ytd:
        qualifiers.append(gettext(N_("year to date"), locale))
    if ref.offset_years == -1:
        qualifiers.append(gettext(N_("same period last year"), locale))
    elif ref.offset_years:
        template = gettext(N_("same period {years} years earlier"), locale)
        qualifiers.append(template.format(years=-ref.offset_years))
    if ref.offset == -1:
        qualifiers.append(gettext(N_("previous period"), locale))
    elif ref.offset == 1:
        qualifiers.append(gettext(N_("next period"), locale))
    elif ref.offset < 0:
        qualifiers.append(gettext(N_("{count} periods earlier"), locale).format(count=-ref.offset))
    elif ref.offset > 0:
        qualifiers.append(gettext(N_("{count} periods later"), locale).format(count=ref.offset))
    return f"{name} ({', '.join(qualifiers)})" if qualifiers else name


def describe(expression: Expression | str, names: Mapping[str, str], *, locale: str = "vi") -> str:
    """The formula for people: names instead of codes and ``× ÷ −`` instead of ``* / -``,
    e.g. "Thu ngân sách nhà nước ÷ Kế hoạch thu ngân sách × 100".

    ``names`` maps an indicator code (or ``"CODE:dim=cat"`` for a named breakdown) to its
    name in ``locale``; unknown codes are shown as codes. Period qualifiers ("previous
    period", "year to date") and words are translated to ``locale``.
    """
    root = (parse(expression) if isinstance(expression, str) else expression).root
    refs = {n.ref for n in walk(root) if isinstance(n, Reference)}

    def number(value: float) -> str:
        text = format_number(value)
        if "e" in text:
            return text
        decimals = len(text.partition(".")[2])
        return format_locale_number(value, locale, decimals)

    spelling = Spelling(
        ref={ref: _ref_label(ref, names, locale) for ref in refs},
        ops=_SYMBOLS,
        functions={k: gettext(v, locale) for k, v in _FUNCTION_NAMES.items()},
        words={k: gettext(v, locale) for k, v in _WORDS.items()},
        number=number,
    )
    return render(root, spelling)
