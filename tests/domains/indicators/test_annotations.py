"""Annotations through the service, both databases: which notes a unit's chart shows (its
own, its ancestors', the unit-less ones), scope, date ranges and spans, typed validation
errors, who may write and delete, the data version and the live event after the commit,
and the chart shape (period holding the day, spans clipped to the chart)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import Event, EventBus, install_bus
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas_annotations import AnnotationIn, AnnotationOut
from tests.domains.indicators.test_ingest_support import staff
from tests.fixtures.auth import ADMIN, AGENCY48, CITIZEN, LEADER48, OPERATOR01, OPERATOR48
from tests.fixtures.indicators import make_indicator
from tests.fixtures.units import unit_id

CODE = "BUDGET_REVENUE"
HAI_VAN, LIEN_CHIEU = "20194", "20197"  # two wards of Đà Nẵng (48) on the 2025 map


def add(
    session: Session,
    actor: Actor,
    text: str,
    *,
    unit: str | None = None,
    day: str = "2026-10-05",
    code: str = CODE,
    source: str = "user",
    **fields: Any,
) -> AnnotationOut:
    data = AnnotationIn(unit=unit, day=date.fromisoformat(day), text_vi=text, **fields)
    return service.create_annotation(db=session, actor=actor, code=code, data=data, source=source)


def texts(session: Session, actor: Actor, **kw: Any) -> list[str]:
    kw.setdefault("codes", [CODE])
    items, total = service.list_annotations(db=session, actor=actor, **kw)
    assert total == len(items)
    return [item.text for item in items]


def problem(caught: pytest.ExceptionInfo[ProblemError]) -> tuple[str, set[tuple[str, str]]]:
    """The code and the (field, type) of each entry."""
    entries = {(e["location"][-1], e["type"]) for e in caught.value.errors}
    return caught.value.code, entries


@pytest.fixture
def admin(session: Session) -> Actor:
    return staff(session, ADMIN)


@pytest.fixture
def notes(session: Session, admin: Actor) -> Session:
    """A province note, two ward notes, a note for every unit, one for Hà Nội."""
    add(session, admin, "Bão số 12 đổ bộ", unit="48", day="2026-10-05", kind="event")
    add(session, admin, "Sạt lở ở Hải Vân", unit=HAI_VAN, day="2026-10-10")
    add(session, admin, "Ngập ở Liên Chiểu", unit=LIEN_CHIEU, day="2026-10-12")
    add(session, admin, "Điều chỉnh thuế toàn quốc", day="2026-09-01")
    add(session, admin, "Hà Nội mở rộng", unit="01", day="2026-10-01")
    return session


def test_a_wards_chart_shows_its_own_its_provinces_and_every_units_notes(
    notes: Session, admin: Actor
) -> None:
    assert texts(notes, admin, unit=HAI_VAN) == [
        "Điều chỉnh thuế toàn quốc",
        "Bão số 12 đổ bộ",
        "Sạt lở ở Hải Vân",
    ]
    # the province's chart does not show its wards' notes
    assert texts(notes, admin, unit="48") == ["Điều chỉnh thuế toàn quốc", "Bão số 12 đổ bộ"]
    items, _total = service.list_annotations(db=notes, actor=admin, codes=[CODE], unit=HAI_VAN)
    storm = items[1]
    assert (storm.unit, storm.unit_name, storm.hierarchy) == ("48", "Thành phố Đà Nẵng", "2025")
    assert (storm.kind, storm.day, storm.end_day, storm.source) == (
        "event",
        date(2026, 10, 5),
        None,
        "user",
    )
    assert storm.created_by == "user:admin"
    assert "unit_id" not in storm.model_dump(mode="json")
    assert items[0].unit is None


def test_without_a_unit_the_viewers_scope_decides(notes: Session, admin: Actor) -> None:
    assert len(texts(notes, admin)) == 5
    operator = staff(notes, OPERATOR48)
    assert sorted(texts(notes, operator)) == sorted(
        ["Điều chỉnh thuế toàn quốc", "Bão số 12 đổ bộ", "Sạt lở ở Hải Vân", "Ngập ở Liên Chiểu"]
    )
    hanoi = staff(notes, OPERATOR01)
    assert texts(notes, hanoi) == ["Điều chỉnh thuế toàn quốc", "Hà Nội mở rộng"]
    with pytest.raises(ProblemError) as caught:
        texts(notes, hanoi, unit=HAI_VAN)
    assert caught.value.code == "out_of_scope"
    citizen = staff(notes, CITIZEN)  # reads indicators: reads their notes too
    assert "Sạt lở ở Hải Vân" in texts(notes, citizen, unit=HAI_VAN)


def test_ranges_include_spans_that_overlap(session: Session, admin: Actor) -> None:
    add(session, admin, "Lũ lịch sử", unit="48", day="2026-09-28", end_day=date(2026, 10, 3))
    add(session, admin, "Tháng 11", unit="48", day="2026-11-01")
    add(session, admin, "Tháng 8", unit="48", day="2026-08-31")
    october = {"unit": "48", "start": date(2026, 10, 1), "end": date(2026, 10, 31)}
    assert texts(session, admin, **october) == ["Lũ lịch sử"]
    assert texts(session, admin, unit="48", start=date(2026, 11, 1)) == ["Tháng 11"]
    assert texts(session, admin, unit="48", end=date(2026, 9, 27)) == ["Tháng 8"]
    # paging keeps the total
    items, total = service.list_annotations(
        db=session, actor=admin, codes=[CODE], unit="48", limit=1, offset=1
    )
    assert (total, [i.text for i in items]) == (3, ["Lũ lịch sử"])
    with pytest.raises(ProblemError) as caught:
        texts(session, admin, codes=[CODE, "NO_SUCH"])
    assert caught.value.code == "indicator_not_found"


def test_english_falls_back_to_vietnamese(session: Session, admin: Actor) -> None:
    add(session, admin, "Bão số 12", unit="48", text_en="Typhoon No. 12")
    add(session, admin, "Chỉ có tiếng Việt", unit="48", day="2026-10-06")
    assert texts(session, admin, unit="48", locale="en") == ["Typhoon No. 12", "Chỉ có tiếng Việt"]
    assert texts(session, admin, unit="48", locale="vi") == ["Bão số 12", "Chỉ có tiếng Việt"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"text_vi": "   "}, {("text_vi", "text_required")}),
        ({"text_vi": "x" * 501}, {("text_vi", "text_too_long")}),
        ({"text_en": "y" * 501}, {("text_en", "text_too_long")}),
        ({"end_day": date(2026, 10, 4)}, {("end_day", "end_before_start")}),
        ({"link": "javascript:alert(1)"}, {("link", "invalid_link")}),
        ({"link": "//evil.example/x"}, {("link", "invalid_link")}),
        ({"link": "https://"}, {("link", "invalid_link")}),
        ({"link": "/dashboards/a b"}, {("link", "invalid_link")}),
        ({"unit": "99999"}, {("unit", "unknown_unit")}),
        ({"kind": "directive"}, {("kind", "kind_reserved")}),
        ({"day": date(1850, 1, 1)}, {("day", "day_out_of_range")}),
        (
            {"text_vi": "", "end_day": date(2026, 1, 1), "link": "ftp://x.vn", "unit": "nope"},
            {
                ("text_vi", "text_required"),
                ("end_day", "end_before_start"),
                ("link", "invalid_link"),
                ("unit", "unknown_unit"),
            },
        ),
    ],
)
def test_bad_input_is_refused_with_every_error_typed(
    session: Session, admin: Actor, fields: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    data: dict[str, Any] = {"unit": "48", "day": date(2026, 10, 5), "text_vi": "Ghi chú"}
    with pytest.raises(ProblemError) as caught:
        service.create_annotation(
            db=session, actor=admin, code=CODE, data=AnnotationIn(**{**data, **fields})
        )
    assert problem(caught) == ("validation_error", expected)
    assert texts(session, admin) == []


def test_good_links_and_trimmed_texts_are_kept(session: Session, admin: Actor) -> None:
    local = add(session, admin, "  Xem bảng  ", unit="48", link=" /dashboards/kinh-te-xa-hoi ")
    web = add(session, admin, "Nguồn", unit="48", link="https://baodanang.vn/bao-so-12")
    same_day = add(session, admin, "Một ngày", unit="48", end_day=date(2026, 10, 5))
    assert (local.text, local.link) == ("Xem bảng", "/dashboards/kinh-te-xa-hoi")
    assert web.link == "https://baodanang.vn/bao-so-12"
    assert same_day.end_day is None  # a span of one day is a day
    directive = add(session, admin, "Đẩy nhanh giải ngân", unit="48", kind="directive",
                    source="directives")  # fmt: skip
    assert (directive.kind, directive.source) == ("directive", "directives")


def test_who_may_write(session: Session, admin: Actor) -> None:
    def refused(actor: Actor, unit: str | None, code: str = CODE) -> str:
        with pytest.raises(ProblemError) as caught:
            add(session, actor, "Ghi chú", unit=unit, code=code)
        return caught.value.code

    operator = staff(session, OPERATOR48)
    assert add(session, operator, "Trong phạm vi", unit=HAI_VAN).unit == HAI_VAN
    assert refused(operator, None) == "out_of_scope"  # every unit: installation-wide only
    assert refused(operator, "01") == "out_of_scope"
    assert refused(staff(session, CITIZEN), "48") == "forbidden"
    assert refused(staff(session, LEADER48), "48") == "forbidden"  # leaders set plans, not data
    # agency officers write the data of their agency's indicators only (BUDGET_REVENUE: STC)
    agency = staff(session, AGENCY48)
    assert refused(agency, "48") == "forbidden"
    make_indicator(session, "TEST_HEALTH", owner_agency="48.SYT")
    assert add(session, agency, "Tiêm chủng", unit="48", code="TEST_HEALTH").indicator == (
        "TEST_HEALTH"
    )
    assert service.may_annotate(db=session, actor=operator, code=CODE, unit_id=None) is False
    assert service.may_annotate(db=session, actor=admin, code=CODE, unit_id=None) is True
    hai_van = unit_id(session, HAI_VAN)
    assert service.may_annotate(db=session, actor=operator, code=CODE, unit_id=hai_van) is True
    assert service.may_annotate(db=session, actor=agency, code=CODE, unit_id=hai_van) is False


def test_who_may_delete(session: Session, admin: Actor) -> None:
    operator = staff(session, OPERATOR48)
    own = add(session, operator, "Của tôi", unit="48")
    everywhere = add(session, admin, "Mọi nơi")
    directive = add(session, admin, "Chỉ đạo", unit="48", kind="directive", source="directives")

    def refused(actor: Actor, annotation: AnnotationOut) -> str:
        with pytest.raises(ProblemError) as caught:
            service.delete_annotation(db=session, actor=actor, annotation_id=annotation.id)
        return caught.value.code

    assert refused(staff(session, OPERATOR01), own) == "not_found"  # not even visible there
    assert refused(operator, everywhere) == "out_of_scope"
    assert refused(operator, directive) == "conflict"  # removed with its directive
    assert refused(staff(session, CITIZEN), own) == "forbidden"
    assert service.may_delete(db=session, actor=operator, annotation=own) is True
    assert service.may_delete(db=session, actor=operator, annotation=directive) is False
    service.delete_annotation(db=session, actor=operator, annotation_id=own.id)
    service.delete_annotation(db=session, actor=admin, annotation_id=everywhere.id)
    service.delete_annotation(
        db=session, actor=admin, annotation_id=directive.id, source="directives"
    )
    assert texts(session, admin) == []
    with pytest.raises(ProblemError) as caught:
        service.delete_annotation(db=session, actor=admin, annotation_id=own.id)
    assert caught.value.code == "not_found"


def test_writes_bump_the_data_version_and_publish_after_the_commit(database: Database) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe("indicators.observations_written", seen.append)
    install_bus(database.session_factories, bus)
    with database.transaction() as db:
        admin = staff(db, ADMIN)
        before = service.data_version(db)
        created = add(db, admin, "Bão", unit="48", day="2026-10-05", end_day=date(2026, 10, 9))
        assert service.data_version(db) == before + 1
        assert seen == []  # not before the commit
    assert len(seen) == 1
    assert seen[0].payload["indicators"] == [CODE]
    assert seen[0].payload["periods"] == ["2026-10-05", "2026-10-09"]
    assert (seen[0].payload["annotation"], seen[0].payload["action"]) == (created.id, "created")
    with database.transaction() as db:
        service.delete_annotation(db=db, actor=staff(db, ADMIN), annotation_id=created.id)
        assert service.data_version(db) == before + 2
    assert [e.payload["action"] for e in seen] == ["created", "deleted"]
    # a refused write publishes nothing and changes nothing
    with pytest.raises(ProblemError), database.transaction() as db:
        add(db, staff(db, ADMIN), "")
    with database.reading() as db:
        assert service.data_version(db) == before + 2
    assert len(seen) == 2


def test_chart_shape_places_each_note_at_its_period(session: Session, admin: Actor) -> None:
    add(session, admin, "Bão số 12", unit="48", day="2026-10-15", kind="event",
        link="/dashboards/kinh-te-xa-hoi")  # fmt: skip
    add(session, admin, "Mùa lũ", unit="48", day="2026-07-20", end_day=date(2026, 9, 3))
    add(session, admin, "Sau biểu đồ", unit="48", day="2026-11-02")
    marks = service.chart_annotations(
        db=session,
        actor=admin,
        codes=[CODE],
        unit=HAI_VAN,
        hierarchy=None,
        periods=["2026-08", "2026-09", "2026-10"],
        locale="vi",
    )
    assert [(m["period"], m["end_period"], m["text"]) for m in marks] == [
        ("2026-08", "2026-09", "Mùa lũ"),  # began before the chart: clipped to its start
        ("2026-10", None, "Bão số 12"),
    ]
    flood, storm = marks
    assert flood["day_text"] == "20/07/2026 – 03/09/2026"
    assert (flood["day"], flood["end_day"]) == ("2026-07-20", "2026-09-03")
    assert storm["label"] == "Tháng 10/2026"
    assert (storm["kind"], storm["kind_label"], storm["indicator"]) == ("event", "Sự kiện", CODE)
    assert (storm["unit"], storm["link"], storm["author"]) == (
        "48",
        "/dashboards/kinh-te-xa-hoi",
        "admin",
    )
    quarters = service.chart_annotations(
        db=session,
        actor=admin,
        codes=[CODE],
        unit="48",
        hierarchy="2025",
        periods=["2026Q3", "2026Q4"],
        locale="en",
    )
    assert [(m["period"], m["end_period"]) for m in quarters] == [
        ("2026Q3", None),  # the whole span is inside one quarter
        ("2026Q4", None),
        ("2026Q4", None),
    ]
    assert quarters[1]["kind_label"] == "Event"
