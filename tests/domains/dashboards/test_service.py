"""The dashboards service on both databases: every widget's data against the indicators
engine's own answers, drill-down, the composed home page, pack sync, the result cache and
the live hub."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dieuhanh.components import registry
from dieuhanh.core.db import Database
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import EventBus
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards import service
from dieuhanh.domains.dashboards.schemas import DashboardIn, DashboardPatch
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import TargetIn
from tests.domains.indicators.test_ingest_support import ingest, row, staff
from tests.fixtures.auth import ADMIN, OPERATOR01
from tests.fixtures.indicators import CATALOG_ACTOR

BOARD = "kinh-te-xa-hoi"
TODAY = date(2026, 11, 22)
HAI_VAN, LIEN_CHIEU, HOA_KHANH = "20194", "20197", "20200"


@pytest.fixture
def admin(session: Session) -> Actor:
    return staff(session, ADMIN)


@pytest.fixture
def filled(session: Session, admin: Actor) -> Session:
    """A few real values of the pack's indicators for Đà Nẵng (48) and three communes."""
    rows = []
    for month, retail in (("2025-10", 9000.0), ("2026-09", 9500.0), ("2026-10", 10000.0)):
        rows.append(row("RETAIL_SALES", "48", month, retail))
        rows.append(row("BUDGET_REVENUE", "48", month, retail / 4))
    rows += [row("CPI", "48", "2026-10", 3.25), row("CPI", "48", "2025-10", 2.5)]
    for commune, population, poverty in (
        (HAI_VAN, 50_000.0, 1.5),
        (LIEN_CHIEU, 80_000.0, 0.5),
        (HOA_KHANH, 30_000.0, 2.5),
    ):
        rows.append(row("POPULATION", commune, "2026", population))
        rows.append(row("POPULATION", commune, "2025", population))
        rows.append(row("POVERTY_RATE", commune, "2025", poverty))  # published a year on
    ingest(session, admin, rows, idempotency_key="dash-fill")
    indicators.set_targets(
        db=session,
        actor=CATALOG_ACTOR,
        code="RETAIL_SALES",
        rows=[TargetIn(unit="48", year=2026, value=120_000)],
    )
    return session


def show(session: Session, actor: Actor, code: str = BOARD, **kw: Any) -> Any:
    kw.setdefault("unit", None)
    kw.setdefault("period", "2026-10")
    kw.setdefault("today", TODAY)
    return service.show_dashboard(
        db=session,
        actor=actor,
        code=code,
        home_province="48",
        calendar=WorkCalendar(),
        **kw,
    )


def widget(data: Any, widget_id: str) -> dict[str, Any]:
    found = next(w for w in data.widgets if w.id == widget_id)
    assert found.error is None, found.error
    assert found.data is not None
    return found.data  # type: ignore[no-any-return]


def test_pack_dashboard_is_synced_once_and_local_edits_are_kept(
    session: Session, admin: Actor
) -> None:
    listed = service.list_dashboards(db=session, actor=admin)
    assert [d.code for d in listed] == [BOARD]
    assert listed[0].headline is True
    again = registry.sync_dashboards(db=session, actor=CATALOG_ACTOR)
    assert again.unchanged == [BOARD]
    current = service.get_dashboard(db=session, actor=admin, code=BOARD)
    service.update_dashboard(
        db=session,
        actor=admin,
        code=BOARD,
        patch=DashboardPatch(version=current.version, title_vi="Kinh tế - xã hội Đà Nẵng"),
    )
    kept = registry.sync_dashboards(db=session, actor=CATALOG_ACTOR)
    assert kept.kept_local == [BOARD]
    assert service.get_dashboard(db=session, actor=admin, code=BOARD).title_vi.endswith("Đà Nẵng")


def test_kpi_tiles_equal_the_indicator_engine(filled: Session, admin: Actor) -> None:
    data = show(filled, admin)
    assert (data.unit.code, data.period, data.children_level) == ("48", "2026-10", "commune")
    retail = widget(data, "retail")
    value = indicators.query_value(
        db=filled, actor=admin, code="RETAIL_SALES", unit="48", period="2026-10"
    )
    assert value.ytd is not None
    assert retail["value"] == value.ytd.value  # the tile shows the year to date
    assert retail["ytd"] == 19_500.0
    assert retail["value_text"] == "19.500"  # Vietnamese thousands separator
    # a year-to-date tile compares with the year to date of October 2025 (only October
    # 2025 is stored: 9,000), not with the month alone
    assert retail["change"]["period"] == "2025-10"
    assert retail["change"]["previous"] == 9000.0
    assert retail["change"]["absolute"] == 10_500.0
    assert round(retail["change"]["percent"], 2) == 116.67
    cpi_change = widget(data, "cpi")["change"]  # a month tile: the month against last year's
    assert (cpi_change["previous"], round(cpi_change["absolute"], 2)) == (2.5, 0.75)
    assert retail["progress"]["target"] == 120_000
    assert [p["value"] for p in retail["sparkline"]][-2:] == [9500.0, 19_500.0]  # to date
    assert retail["link"] == "/indicators/RETAIL_SALES?unit=48&period=2026-10"
    cpi = widget(data, "cpi")
    assert cpi["value"] == 3.25
    assert cpi["value_text"] == "3,25"
    assert "RETAIL_SALES" in data.indicators


def test_ranking_map_table_and_timeseries(filled: Session, admin: Actor) -> None:
    data = show(filled, admin, period="2026-10")
    ranking = widget(data, "poverty-ranking")
    # poverty: lower is better, so the lowest rate ranks first
    assert [(r["unit"]["code"], r["value"]) for r in ranking["rows"]] == [
        (LIEN_CHIEU, 0.5),
        (HAI_VAN, 1.5),
        (HOA_KHANH, 2.5),
    ]
    assert ranking["missing"] == 94 - 3
    assert ranking["rows"][0]["link"] == f"/dashboards/{BOARD}?unit={LIEN_CHIEU}&period=2026-10"
    population = widget(data, "population-map")
    valued = {v["code"]: v["value"] for v in population["values"] if v["value"] is not None}
    assert valued == {HAI_VAN: 50_000.0, LIEN_CHIEU: 80_000.0, HOA_KHANH: 30_000.0}
    assert population["geojson_url"] is None  # communes have no outlines in the shipped data
    assert (population["min"], population["max"]) == (30_000.0, 80_000.0)
    table = widget(data, "communes")
    assert table["total"]["unit"]["code"] == "48"
    assert table["total"]["values"][0]["value"] == 160_000.0  # the communes' sum
    trend = widget(data, "budget-trend")
    assert len(trend["periods"]) == 24
    assert trend["periods"][-1] == "2026-10"
    assert trend["series"][0]["values"][-1] == 2500.0
    assert trend["series"][0]["values"][-2] == 2375.0
    assert trend["series"][0]["values"][0] is None  # missing is not zero


def test_nation_map_has_province_outlines(filled: Session, admin: Actor) -> None:
    data = show(filled, admin, unit="VN")
    found = widget(data, "population-map")
    assert found["geojson_url"] == "/api/v1/dashboards/geo/VN?hierarchy=2025"
    geo = service.child_geometry(db=filled, actor=admin, unit="VN", hierarchy="2025")
    assert len(geo["features"]) == 34
    assert {f["id"] for f in geo["features"]} >= {"48", "01", "79"}


def test_drill_down_and_scope(filled: Session, admin: Actor, session: Session) -> None:
    data = show(filled, admin, unit=HAI_VAN)
    assert [b.code for b in data.breadcrumbs] == ["VN", "48", HAI_VAN]
    assert data.children_level is None
    outsider = staff(session, OPERATOR01)  # scoped to Hà Nội (01)
    with pytest.raises(ProblemError) as caught:
        show(filled, outsider, unit="48")
    assert caught.value.code in ("unit_not_found", "out_of_scope")
    own = show(filled, outsider)  # no unit asked: the viewer's own scope
    assert own.unit.code == "01"
    assert [b.code for b in own.breadcrumbs] == ["01"]


def test_home_page_composes_headline_tiles(filled: Session, admin: Actor) -> None:
    data = show(filled, admin, code=service.HOME_CODE)
    kinds = [w.type for w in data.widgets]
    assert kinds.count("kpi") == 8
    assert {"map", "ranking", "timeseries"} <= set(kinds)
    assert data.dashboard.title == "Tổng quan"
    tiles = [w for w in data.dashboard.widgets if w.type == "kpi"]
    assert all(t.x + t.w <= 12 for t in tiles)


def test_counters_and_widget_table(filled: Session, admin: Actor) -> None:
    data = show(filled, admin)
    counts = {i["name"]: i["value"] for i in widget(data, "supply")["items"]}
    summary = indicators.freshness_summary(
        db=filled, actor=admin, unit="48", calendar=WorkCalendar(), today=TODAY
    )
    assert counts == {
        "indicators.fresh": summary["fresh"],
        "indicators.late": summary["late"],
        "indicators.missing": summary["missing"],
    }
    assert sum(counts.values()) == len(indicators.list_indicators(db=filled, limit=1000)[0])
    header, rows = service.widget_table(data, "poverty-ranking")
    assert header == ["unit", "name", "period", "POVERTY_RATE"]
    assert rows[0][0] == LIEN_CHIEU
    assert rows[0][2:] == ["2025", 0.5]  # a yearly figure: last year's
    with pytest.raises(ProblemError) as caught:
        service.widget_table(data, "nope")
    assert caught.value.code == "widget_not_found"


def test_cache_serves_repeat_views_and_follows_every_write(filled: Session, admin: Actor) -> None:
    cache = service.DashboardCache()
    first = show(filled, admin, cache=cache)
    second = show(filled, admin, cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.generated_at == first.generated_at  # served from the cache
    ingest(filled, admin, [row("CPI", "48", "2026-10", 4.0)], idempotency_key="dash-cpi")
    third = show(filled, admin, cache=cache)
    assert widget(third, "cpi")["value"] == 4.0
    assert cache.misses == 2
    current = service.get_dashboard(db=filled, actor=admin, code=BOARD)
    service.update_dashboard(
        db=filled,
        actor=admin,
        code=BOARD,
        patch=DashboardPatch(version=current.version, widgets=current.widgets[:2]),
    )
    fourth = show(filled, admin, cache=cache)
    assert [w.id for w in fourth.widgets] == ["retail", "budget"]


def test_broken_widget_shows_its_error_and_others_still_show(filled: Session, admin: Actor) -> None:
    service.create_dashboard(
        db=filled,
        actor=admin,
        data=DashboardIn.model_validate(
            {
                "code": "thu-nghiem",
                "title_vi": "Thử nghiệm",
                "title_en": "Trial",
                "widgets": [
                    {"id": "ok", "type": "kpi", "indicator": "CPI"},
                    {"id": "gone", "type": "ranking", "indicator": "NO_SUCH_CODE"},
                ],
            }
        ),
    )
    data = show(filled, admin, code="thu-nghiem")
    assert widget(data, "ok")["value"] == 3.25
    gone = next(w for w in data.widgets if w.id == "gone")
    assert gone.data is None
    assert gone.error


def test_live_hub_streams_matching_events_and_keeps_the_latest() -> None:
    bus = EventBus()
    hub = service.LiveHub(bus)

    async def listen() -> list[str]:
        got: list[str] = []
        async for event in hub.stream(["indicators.*"]):
            if event is not None:
                got.append(event.topic)
                return got
        return got

    async def scenario() -> list[str]:
        task = asyncio.create_task(listen())
        await asyncio.sleep(0.05)
        bus.publish("alerts.firing", {"text": "x"})  # not listened to
        bus.publish("indicators.observations_written", {"indicators": ["CPI"], "rows": 2})
        return await asyncio.wait_for(task, 2)

    assert asyncio.run(scenario()) == ["indicators.observations_written"]
    feed = hub.recent(topics=["indicators.*"], limit=5, locale="vi")
    assert feed[0]["text"] == "2 giá trị được cập nhật: CPI"
    assert len(hub.recent(topics=["*"], limit=5, locale="vi")) == 2
    hub.close()


def test_watched_dashboards_are_recomputed_after_a_write(
    database: Database, session: Session
) -> None:
    """After a batch is committed the recently viewed entries are recomputed at once, so the
    next view (the wall's, an open page's) is served from the cache with the new value."""
    with database.transaction() as s:
        admin = staff(s, ADMIN)
        ingest(s, admin, [row("CPI", "48", "2026-10", 3.0)], idempotency_key="warm-1")
        s.info.pop("actor", None)
    cache = service.DashboardCache()

    def view() -> Any:
        with database.reading() as db:
            return show(db, admin, cache=cache)

    assert widget(view(), "cpi")["value"] == 3.0
    with database.transaction() as s:
        ingest(s, admin, [row("CPI", "48", "2026-10", 3.5)], idempotency_key="warm-2")
        s.info.pop("actor", None)
    assert service.rewarm_after_write(cache, database) == 1
    misses = cache.misses
    assert widget(view(), "cpi")["value"] == 3.5  # the new value …
    assert cache.misses == misses  # … from the cache
    assert service.rewarm_after_write(cache, database) == 0  # nothing stale any more


# --- the Decree-09 reporting period ------------------------------------------------------------


def numbers(value: Any) -> Any:
    """A widget's data without its labels and links (what a calendar may change)."""
    if isinstance(value, dict):
        return {
            k: numbers(v)
            for k, v in value.items()
            if "label" not in k and k not in ("link", "generated_at")
        }
    if isinstance(value, list):
        return [numbers(v) for v in value]
    return value


def local_board(session: Session, admin: Actor, **fields: Any) -> Any:
    return service.create_dashboard(
        db=session,
        actor=admin,
        data=DashboardIn.model_validate(
            {
                "code": "bao-cao",
                "title_vi": "Báo cáo",
                "title_en": "Reports",
                "widgets": [{"id": "cpi", "type": "kpi", "indicator": "CPI"}],
                **fields,
            }
        ),
    )


def test_the_pack_dashboard_opens_in_decree09_and_defaults_are_editable(
    session: Session, admin: Actor
) -> None:
    assert service.get_dashboard(db=session, actor=admin, code=BOARD).reporting_calendar == (
        "decree09"
    )
    created = local_board(session, admin)
    assert created.reporting_calendar == "calendar"  # the default
    edited = service.update_dashboard(
        db=session,
        actor=admin,
        code="bao-cao",
        patch=DashboardPatch(version=created.version, reporting_calendar="decree09"),
    )
    assert (edited.reporting_calendar, edited.version) == ("decree09", 2)
    again = service.get_dashboard(db=session, actor=admin, code="bao-cao")
    assert again.reporting_calendar == "decree09"
    home = service.open_dashboard(db=session, actor=admin, code=service.HOME_CODE)
    assert home.reporting_calendar == "calendar"


@pytest.mark.parametrize(
    ("today", "calendar", "expected", "window"),
    [
        # on 22/11 the latest closed Decree-09 month is November (closed 14/11) …
        (date(2026, 11, 22), None, "2026-11", (date(2026, 10, 15), date(2026, 11, 14))),
        # … while the latest closed calendar month is October
        (date(2026, 11, 22), "calendar", "2026-10", (date(2026, 10, 1), date(2026, 10, 31))),
        # on the 14th the month has not closed yet
        (date(2026, 11, 14), "decree09", "2026-10", (date(2026, 9, 15), date(2026, 10, 14))),
    ],
)
def test_default_period_follows_the_calendar(
    filled: Session,
    admin: Actor,
    today: date,
    calendar: str | None,
    expected: str,
    window: tuple[date, date],
) -> None:
    data = show(filled, admin, period=None, today=today, reporting_calendar=calendar)
    assert data.period == expected
    assert data.calendar == (calendar or "decree09")
    assert (data.period_window.first, data.period_window.last) == window


def test_default_quarter_on_fixed_dates(filled: Session, admin: Actor) -> None:
    local_board(filled, admin, period_type="quarter", reporting_calendar="decree09")
    decree = show(filled, admin, code="bao-cao", period=None, today=date(2026, 9, 20))
    assert (decree.period, decree.calendar) == ("2026Q3", "decree09")  # closed 14/09
    assert decree.period_label == "Quý III/2026 (15/06/2026 – 14/09/2026)"
    plain = show(
        filled,
        admin,
        code="bao-cao",
        period=None,
        today=date(2026, 9, 20),
        reporting_calendar="calendar",
    )
    assert (plain.period, plain.period_label) == ("2026Q2", "Quý II/2026")


def test_decree09_labels_windows_and_the_same_numbers(filled: Session, admin: Actor) -> None:
    decree = show(filled, admin)  # the pack dashboard's own calendar
    plain = show(filled, admin, reporting_calendar="calendar")
    assert (decree.calendar, plain.calendar) == ("decree09", "calendar")
    assert decree.period_label == "Tháng 10/2026 (15/09/2026 – 14/10/2026)"
    assert plain.period_label == "Tháng 10/2026"
    assert (decree.period_window.first, decree.period_window.last) == (
        date(2026, 9, 15),
        date(2026, 10, 14),
    )
    # values are stored under the nominal period: the numbers do not change
    for widget_id in ("retail", "budget", "cpi", "poverty-ranking", "communes", "budget-trend"):
        assert numbers(widget(decree, widget_id)) == numbers(widget(plain, widget_id))
    cpi = widget(decree, "cpi")
    assert cpi["period_label"] == "Tháng 10/2026 (15/09/2026 – 14/10/2026)"
    assert widget(plain, "cpi")["period_label"] == "Tháng 10/2026"
    # a year to date under Decree 09 runs from 15/12 of the previous year
    assert widget(decree, "retail")["ytd_label"] == "Tháng 10/2026 (15/12/2025 – 14/10/2026)"
    assert widget(plain, "retail")["ytd_label"] == "Tháng 10/2026"
    ranking = widget(decree, "poverty-ranking")
    assert ranking["period_label"] == "Năm 2025 (15/12/2024 – 14/12/2025)"
    assert widget(plain, "poverty-ranking")["period_label"] == "Năm 2025"
    english = show(filled, admin, locale="en")
    assert english.period_label == "October 2026 (15 Sep 2026 – 14 Oct 2026)"


def test_links_keep_a_calendar_other_than_the_dashboards_own(filled: Session, admin: Actor) -> None:
    own = widget(show(filled, admin), "poverty-ranking")["rows"][0]["link"]
    assert own == f"/dashboards/{BOARD}?unit={LIEN_CHIEU}&period=2026-10"
    other = widget(show(filled, admin, reporting_calendar="calendar"), "communes")["rows"]
    assert {r["link"] for r in other} >= {
        f"/dashboards/{BOARD}?unit={HAI_VAN}&period=2026-10&calendar=calendar"
    }


def test_an_unknown_calendar_is_refused(filled: Session, admin: Actor) -> None:
    with pytest.raises(ProblemError) as caught:
        show(filled, admin, reporting_calendar="lunar")
    assert caught.value.code == "validation_error"
    assert caught.value.errors[0]["location"] == ["query", "calendar"]


def test_cache_keeps_the_calendars_apart(filled: Session, admin: Actor) -> None:
    cache = service.DashboardCache()
    decree = show(filled, admin, cache=cache)
    plain = show(filled, admin, cache=cache, reporting_calendar="calendar")
    assert (cache.hits, cache.misses) == (0, 2)  # same period code, two entries
    assert (decree.period, plain.period) == ("2026-10", "2026-10")
    assert decree.period_label != plain.period_label
    explicit = show(filled, admin, cache=cache, reporting_calendar="decree09")
    assert explicit.period_label == decree.period_label
    assert explicit.generated_at == decree.generated_at  # the default and decree09: one entry
    again = show(filled, admin, cache=cache, reporting_calendar="calendar")
    assert again.generated_at == plain.generated_at
    assert (cache.hits, cache.misses) == (2, 2)


def test_recomputed_on_write_in_the_same_calendar(database: Database, session: Session) -> None:
    """The cache's recipe recomputes a view in the calendar it was asked in."""
    with database.transaction() as s:
        admin = staff(s, ADMIN)
        ingest(s, admin, [row("CPI", "48", "2026-10", 3.0)], idempotency_key="cal-1")
        s.info.pop("actor", None)
    cache = service.DashboardCache()

    def view() -> Any:
        with database.reading() as db:
            return show(db, admin, cache=cache, period=None, reporting_calendar="calendar")

    assert view().period == "2026-10"
    with database.transaction() as s:
        ingest(s, admin, [row("CPI", "48", "2026-10", 3.5)], idempotency_key="cal-2")
        s.info.pop("actor", None)
    assert service.rewarm_after_write(cache, database) == 1
    fresh = view()
    assert (fresh.calendar, fresh.period, widget(fresh, "cpi")["value"]) == (
        "calendar",
        "2026-10",
        3.5,
    )
