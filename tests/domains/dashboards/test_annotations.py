"""Annotations on dashboards' time-series charts, both databases: a note shows at the chart
period that holds its day (for the unit, its province and every unit), within the chart's
periods only, and adding or deleting one makes a kept dashboard recompute."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.core.events import Event
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import live, service
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas_annotations import AnnotationIn
from tests.domains.indicators.test_ingest_support import staff
from tests.fixtures.auth import ADMIN, OPERATOR48

BOARD = "kinh-te-xa-hoi"
TREND = "budget-trend"  # BUDGET_REVENUE by month, 24 months
TODAY = date(2026, 11, 22)
HAI_VAN = "20194"


def show(session: Session, actor: Actor, **kw: Any) -> Any:
    kw.setdefault("unit", None)
    kw.setdefault("period", "2026-10")
    return service.show_dashboard(
        db=session,
        actor=actor,
        code=BOARD,
        home_province="48",
        calendar=WorkCalendar(),
        today=TODAY,
        **kw,
    )


def trend(data: Any) -> dict[str, Any]:
    found = next(w for w in data.widgets if w.id == TREND)
    assert found.error is None, found.error
    return found.data  # type: ignore[no-any-return]


def note(session: Session, actor: Actor, text: str, day: str, **fields: Any) -> int:
    data = AnnotationIn(day=date.fromisoformat(day), text_vi=text, **fields)
    made = indicators.create_annotation(db=session, actor=actor, code="BUDGET_REVENUE", data=data)
    return made.id


def test_the_timeseries_shows_notes_at_their_periods(session: Session) -> None:
    admin = staff(session, ADMIN)
    note(session, admin, "Bão số 12 đổ bộ", "2026-09-18", unit="48", kind="event")
    note(session, admin, "Lũ", "2026-10-20", unit="48", end_day=date(2026, 11, 5))
    note(session, admin, "Ngoài biểu đồ", "2024-01-10", unit="48")
    note(session, admin, "Sau kỳ xem", "2026-11-15", unit="48")
    note(session, admin, "Hải Vân", "2026-10-02", unit=HAI_VAN)
    note(session, admin, "Toàn quốc", "2026-08-01")
    province = trend(show(session, admin))
    assert province["periods"][0] == "2024-11"
    assert province["periods"][-1] == "2026-10"
    shown = [(a["period"], a["end_period"], a["text"]) for a in province["annotations"]]
    assert shown == [
        ("2026-08", None, "Toàn quốc"),
        ("2026-09", None, "Bão số 12 đổ bộ"),
        ("2026-10", None, "Lũ"),  # a span past the chart's end stops at its last period
    ]
    storm = province["annotations"][1]
    assert storm["label"] == "Tháng 9/2026"
    assert (storm["day"], storm["day_text"], storm["kind"]) == ("2026-09-18", "18/09/2026", "event")
    assert (storm["indicator"], storm["unit"], storm["kind_label"]) == (
        "BUDGET_REVENUE",
        "48",
        "Sự kiện",
    )
    ward = trend(show(session, admin, unit=HAI_VAN))
    assert [a["text"] for a in ward["annotations"]] == [
        "Toàn quốc",
        "Bão số 12 đổ bộ",
        "Hải Vân",
        "Lũ",
    ]
    english = trend(show(session, admin, locale="en"))
    assert english["annotations"][1]["kind_label"] == "Event"


def test_a_kept_dashboard_recomputes_after_a_note_is_added_or_removed(session: Session) -> None:
    operator = staff(session, OPERATOR48)
    cache = service.DashboardCache()
    assert trend(show(session, operator, cache=cache))["annotations"] == []
    assert trend(show(session, operator, cache=cache))["annotations"] == []
    assert (cache.hits, cache.misses) == (1, 1)
    made = note(session, operator, "Đẩy nhanh giải ngân", "2026-10-01", unit="48")
    after = trend(show(session, operator, cache=cache))
    assert [a["text"] for a in after["annotations"]] == ["Đẩy nhanh giải ngân"]
    assert cache.misses == 2
    indicators.delete_annotation(db=session, actor=operator, annotation_id=made)
    assert trend(show(session, operator, cache=cache))["annotations"] == []
    assert cache.misses == 3


def test_the_feed_says_a_note_changed_not_values() -> None:
    payload = {"indicators": ["BUDGET_REVENUE"], "rows": 0, "source": "annotation"}
    event = Event(topic="indicators.observations_written", payload=payload)
    assert live.describe(event, "vi") == "Ghi chú trên biểu đồ đã thay đổi: BUDGET_REVENUE"
    assert live.describe(event, "en") == "Chart notes changed: BUDGET_REVENUE"
