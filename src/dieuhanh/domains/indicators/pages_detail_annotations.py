"""The annotations on the indicator detail page: marks on the chart, the list under it (with
author and date, in the page's language), and the form that adds one.

The form posts to the JSON API with ``fetch`` and the session's CSRF header (as the
dashboard editor does), so the API's validation is the only one and its typed errors are
shown next to their fields in the page's language (:data:`JS_STRINGS`). It is offered only
to those the service would let write a note for the unit shown; the delete button only on
notes they may remove.
"""

from __future__ import annotations

from typing import Any

from dieuhanh.core.i18n import N_, format_date, format_datetime, gettext
from dieuhanh.core.periods import parse
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.pages_detail_view import Selection
from dieuhanh.domains.units import service as units

ICONS = {"note": "✎", "event": "⚑", "directive": "★"}
FORM_KINDS = ("note", "event")  # directives come from issuing a directive
API = "/api/v1/indicators"
JS_STRINGS: dict[str, str] = {
    "confirm_delete": N_("Delete this note? This cannot be undone."),
    "failed": N_("The note was not saved"),
    "delete_failed": N_("The note was not deleted"),
    **{f"err_{kind}": message for kind, message in service.ANNOTATION_MESSAGES.items()},
    "err_missing": N_("Required"),
    "err_date_from_datetime_parsing": N_("Enter a date"),
    "err_value_error": N_("This value is not valid"),
}


def js_strings(locale: str) -> dict[str, str]:
    return {key: gettext(msgid, locale) for key, msgid in JS_STRINGS.items()}


def annotations_block(
    db: Any, actor: Actor, sel: Selection, chart: dict[str, Any], locale: str
) -> dict[str, Any]:
    """Put the chart's marks into ``chart["annotations"]``; return the list and the form."""
    code = sel.indicator.code
    periods = chart["periods"]
    chart["annotations"] = service.chart_annotations(
        db=db,
        actor=actor,
        codes=[code],
        unit=sel.unit.code,
        hierarchy=sel.unit.hierarchy,
        periods=periods,
        locale=locale,
    )
    first, last = (parse(periods[0]), parse(periods[-1])) if periods else (sel.first, sel.last)
    found, total = service.list_annotations(
        db=db,
        actor=actor,
        codes=[code],
        unit=sel.unit.code,
        hierarchy=sel.unit.hierarchy,
        start=first.start,
        end=last.end,
        locale=locale,
    )
    items = []
    for item in reversed(found):  # newest first
        day_text = format_date(item.day, locale)
        if item.end_day:
            day_text += " – " + format_date(item.end_day, locale)
        items.append(
            {
                "id": item.id,
                "kind": item.kind,
                "kind_label": service.kind_label(item.kind, locale),
                "icon": ICONS.get(item.kind, ICONS["note"]),
                "text": item.text,
                "day_text": day_text,
                "unit_name": item.unit_name or gettext(N_("Every unit"), locale),
                "author": item.created_by_name,
                "created_text": format_datetime(item.created_at, locale),
                "link": item.link,
                "delete_url": (
                    f"{API}/annotations/{item.id}"
                    if service.may_delete(db=db, actor=actor, annotation=item)
                    else None
                ),
            }
        )
    form = None
    if service.may_annotate(db=db, actor=actor, code=code, unit_id=sel.unit.id):
        form = {
            "api": f"{API}/{code}/annotations",
            "unit": sel.unit.code,
            "hierarchy": sel.unit.hierarchy,
            "unit_name": sel.unit.name,
            "every_unit": service.may_annotate(db=db, actor=actor, code=code, unit_id=None),
            "kinds": [(kind, service.kind_label(kind, locale)) for kind in FORM_KINDS],
            "today": units.today().isoformat(),
        }
    return {"entries": items, "total": total, "form": form, "strings": js_strings(locale)}
