"""The dashboard pages over a real server (both databases): the home overview with the
province strip, a dashboard for a unit with breadcrumbs, period picker and downloads, the
list, the wall, who may open what, and English by the cookie. The numbers in the HTML must
be the numbers the JSON API answers for the same dashboard, unit and period."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date
from typing import Any

import httpx
import pytest

from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.reporting_periods import is_closed, latest_closed
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.dashboards.pages import first_screen, switch_calendar, switch_type
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import TargetIn
from dieuhanh.domains.units import service as units
from tests.fixtures.auth import ADMIN, CITIZEN, LEADER48, OPERATOR01, OPERATOR48, ClientFactory

BOARD = "kinh-te-xa-hoi"
HOME = "tong-quan"
PERIOD = "2026-10"
ACTOR = auth_service.system_actor("dashboard-page-tests")
HAI_VAN, LIEN_CHIEU, HOA_KHANH = "20194", "20197", "20200"


def _obs(code: str, unit: str, period: str, value: float) -> dict[str, Any]:
    return {"indicator": code, "unit": unit, "period": period, "value": value}


@pytest.fixture
def data(database: Database) -> Database:
    """A few values of the pack's indicators for Đà Nẵng (48) and three of its wards."""
    rows = []
    for month, retail in (("2025-10", 9000.0), ("2026-09", 9500.0), ("2026-10", 10000.0)):
        rows += [_obs("RETAIL_SALES", "48", month, retail)]
        rows += [_obs("BUDGET_REVENUE", "48", month, retail / 4)]
    rows += [_obs("CPI", "48", "2026-10", 3.25), _obs("CPI", "48", "2025-10", 2.5)]
    for commune, population, poverty in (
        (HAI_VAN, 50_000.0, 1.5),
        (LIEN_CHIEU, 80_000.0, 0.5),
        (HOA_KHANH, 30_000.0, 2.5),
    ):
        rows += [_obs("POPULATION", commune, "2025", population)]
        rows += [_obs("POVERTY_RATE", commune, "2025", poverty)]
    with database.transaction() as db:
        indicators.ingest_rows(
            db=db,
            actor=ACTOR,
            rows=[indicators.ObservationIn.model_validate(r) for r in rows],
            source="test",
            idempotency_key="dashboard-pages",
        )
        indicators.set_targets(
            db=db,
            actor=ACTOR,
            code="RETAIL_SALES",
            rows=[TargetIn(unit="48", year=2026, value=120_000)],
        )
    return database


def page(client: httpx.Client, url: str) -> str:
    r = client.get(url, headers={"Accept": "text/html"})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def api(client: httpx.Client, code: str, **params: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/dashboards/{code}/data", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def embedded(text: str, block: str = "dash-data") -> Any:
    """The JSON the page carries for its script (a data block, never executed)."""
    match = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', text, re.S)
    assert match, f"no {block} block"
    return json.loads(match.group(1))


def kpi_values(text: str) -> dict[str, str]:
    """Widget id → the KPI value written in the HTML."""
    found = re.findall(
        r'data-widget="([^"]+)"[^>]*data-type="kpi".*?data-testid="kpi-value">([^<]*)<',
        text,
        re.S,
    )
    return {widget: html_lib.unescape(value) for widget, value in found}


def links(text: str) -> list[str]:
    return [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


def shown(data: dict[str, Any]) -> dict[str, str]:
    return {
        w["id"]: w["data"]["value_text"]
        for w in data["widgets"]
        if w["type"] == "kpi" and w["data"]
    }


# --- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "kind", "expected"),
    [
        ("2026-10", PeriodType.QUARTER, "2026Q3"),  # the fourth quarter has not ended with October
        ("2026-10", PeriodType.HALF, "2026S1"),
        ("2026-10", PeriodType.YEAR, "2025"),
        ("2026-09", PeriodType.QUARTER, "2026Q3"),  # September closes the third quarter
        ("2026Q3", PeriodType.MONTH, "2026-09"),  # a finer type: the last month of it
        ("2025", PeriodType.QUARTER, "2025Q4"),
        ("2026-11", PeriodType.MONTH, "2026-10"),  # never a period that has not ended yet
    ],
)
def test_switching_period_type_keeps_to_ended_periods(
    period: str, kind: PeriodType, expected: str
) -> None:
    assert str(switch_type(Period.parse(period), kind, date(2026, 11, 22))) == expected


@pytest.mark.parametrize(
    ("period", "kind", "expected"),
    [
        ("2026-11", PeriodType.MONTH, "2026-11"),  # November closed on 14/11
        ("2026-11", PeriodType.QUARTER, "2026Q3"),  # the fourth closes on 14/12
        ("2026-11", PeriodType.YEAR, "2025"),
        ("2026-12", PeriodType.MONTH, "2026-11"),  # December's window is still open
    ],
)
def test_switching_type_in_decree09_stops_at_closed_periods(
    period: str, kind: PeriodType, expected: str
) -> None:
    today = date(2026, 11, 22)
    assert str(switch_type(Period.parse(period), kind, today, "decree09")) == expected


@pytest.mark.parametrize(
    ("period", "calendar", "expected"),
    [
        ("2026-11", "calendar", "2026-10"),  # not closed in the calendar: the latest that is
        ("2026-10", "decree09", "2026-10"),  # closed in both: kept
        ("2026-10", "calendar", "2026-10"),
        ("2026Q4", "decree09", "2026Q3"),
        ("2025", "decree09", "2025"),
    ],
)
def test_switching_calendar_keeps_the_period_if_it_closed_there(
    period: str, calendar: str, expected: str
) -> None:
    today = date(2026, 11, 22)
    assert str(switch_calendar(Period.parse(period), today, calendar)) == expected  # type: ignore[arg-type]


# --- pages -------------------------------------------------------------------------------------


def test_home_shows_the_province_then_its_overview_with_the_apis_numbers(
    client_as: ClientFactory, data: Database
) -> None:
    leader = client_as(LEADER48)
    text = page(leader, f"/?period={PERIOD}")
    assert 'data-testid="home-title">Thành phố Đà Nẵng<' in text
    assert 'data-testid="tile-communes"' in text  # the province strip is kept on top
    expected = shown(api(leader, HOME, unit="48", period=PERIOD))
    values = kpi_values(text)
    assert values == expected
    retail = next(k for k in values if k.endswith("-retail"))
    assert values[retail] == "19.500"  # September + October, Vietnamese grouping
    board = embedded(text)
    assert (board["dashboard"]["code"], board["unit"]["code"], board["period"]) == (
        HOME,
        "48",
        PERIOD,
    )
    assert "RETAIL_SALES" in board["indicators"]
    # drilling down from the home page opens the overview dashboard of the unit
    assert f"/dashboards/{HOME}?unit={LIEN_CHIEU}&period={PERIOD}" in links(text)
    # the period picker stays on the home page
    assert "/?period=2026-09" in links(text)


def test_dashboard_for_a_ward_has_breadcrumbs_picker_and_downloads(
    client_as: ClientFactory, data: Database
) -> None:
    leader = client_as(LEADER48)
    text = page(leader, f"/dashboards/{BOARD}?unit={HAI_VAN}&period={PERIOD}")
    assert 'data-testid="dash-title">Kinh tế - xã hội' in text
    crumbs = re.search(r'data-testid="dash-crumbs">(.*?)</nav>', text, re.S)
    assert crumbs
    assert f'href="/dashboards/{BOARD}?unit=48&amp;period={PERIOD}">Thành phố Đà Nẵng</a>' in (
        crumbs.group(1)
    )
    assert "Phường Hải Vân" in crumbs.group(1)
    found = links(text)
    for period in ("2026-09", "2026Q3", "2026S1", "2025"):
        assert f"/dashboards/{BOARD}?unit={HAI_VAN}&period={period}" in found, period
    # the socio-economic dashboard reads its periods as Decree-09 reporting periods
    assert 'data-testid="period-label">Tháng 10/2026 (15/09/2026 – 14/10/2026)<' in text
    assert kpi_values(text) == shown(api(leader, BOARD, unit=HAI_VAN, period=PERIOD))
    csv_link = f"/api/v1/dashboards/{BOARD}/widgets/retail/data.csv?unit={HAI_VAN}&period={PERIOD}"
    assert csv_link in found
    assert csv_link.replace(".csv", ".xlsx") in found
    download = leader.get(csv_link)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert HAI_VAN in download.content.decode("utf-8-sig")


def test_ranking_and_table_link_each_unit_to_its_dashboard(
    client_as: ClientFactory, data: Database
) -> None:
    leader = client_as(LEADER48)
    text = page(leader, f"/dashboards/{BOARD}?period={PERIOD}")
    ranking = re.search(r'data-widget="poverty-ranking".*?</ol>', text, re.S)
    assert ranking
    order = re.findall(r'href="/dashboards/kinh-te-xa-hoi\?unit=(\d+)', ranking.group(0))
    assert order == [LIEN_CHIEU, HAI_VAN, HOA_KHANH]  # lowest poverty first
    table = re.search(r'data-widget="communes".*?</table>', text, re.S)
    assert table
    assert f'<tr data-code="{HOA_KHANH}">' in table.group(0)
    assert "160.000" in table.group(0)  # the wards' population summed in the total row
    board = embedded(text)
    assert embedded(text, "dash-strings")["reconnecting"] == "Mất kết nối, đang kết nối lại…"
    fresh = api(leader, BOARD, period=PERIOD)
    without_feed = [w for w in board["widgets"] if w["type"] != "feed"]
    assert without_feed == [w for w in fresh["widgets"] if w["type"] != "feed"]


def test_list_shows_editing_only_to_administrators(
    client_as: ClientFactory, data: Database
) -> None:
    leader_page = page(client_as(LEADER48), "/dashboards")
    assert f'href="/dashboards/{BOARD}"' in leader_page
    assert "Kinh tế - xã hội" in leader_page
    assert "/dashboards/new" not in leader_page
    assert f"/dashboards/{BOARD}/edit" not in leader_page
    admin_page = page(client_as(ADMIN), "/dashboards")
    assert 'href="/dashboards/new"' in admin_page
    assert f'href="/dashboards/{BOARD}/edit"' in admin_page
    row = re.search(rf'<tr data-code="{BOARD}">(.*?)</tr>', admin_page, re.S)
    assert row
    assert "Chỉ tiêu chính" in row.group(1)  # the headline badge
    assert re.search(r'<td class="num">15</td>', row.group(1))  # its widgets


def test_wall_and_its_screens(client_as: ClientFactory, data: Database) -> None:
    leader = client_as(LEADER48)
    text = page(leader, "/wall")
    assert 'class="wall theme-dark"' in text
    assert "topbar" not in text  # a wall has no navigation
    items = embedded(text, "wall-items")
    assert [i["dashboard"] for i in items] == [HOME, BOARD]
    assert items[0]["data_url"] == f"/api/v1/dashboards/{HOME}/data"
    first = embedded(text, "wall-first")
    assert first["dashboard"]["code"] == HOME
    assert set(kpi_values(text).items()) <= set(shown(first).items())
    assert kpi_values(text)  # the first screen already shows numbers
    screen = page(leader, "/wall/2")
    assert "Màn hình 2" in screen
    assert [i["dashboard"] for i in embedded(screen, "wall-items")] == [HOME, BOARD]
    missing = leader.get("/wall?playlist=khong-co", headers={"Accept": "text/html"})
    assert missing.status_code == 404


def test_wall_plays_a_stored_playlist_for_its_screen(
    client_as: ClientFactory, data: Database
) -> None:
    admin = client_as(ADMIN)
    body = {
        "code": "phong-hop",
        "name": "Phòng họp",
        "items": [
            {"dashboard": BOARD, "unit": HAI_VAN, "seconds": 10, "screen": 1},
            {"dashboard": HOME, "seconds": 20},
        ],
    }
    assert admin.put("/api/v1/wall/playlists/phong-hop", json=body).status_code == 200
    one = embedded(page(admin, "/wall/1?playlist=phong-hop"), "wall-items")
    assert [(i["dashboard"], i["unit"], i["seconds"]) for i in one] == [
        (BOARD, HAI_VAN, 10),
        (HOME, None, 20),
    ]
    assert one[0]["data_url"] == f"/api/v1/dashboards/{BOARD}/data?unit={HAI_VAN}"
    two = page(admin, "/wall/2?playlist=phong-hop")
    assert [i["dashboard"] for i in embedded(two, "wall-items")] == [HOME]


def test_who_may_open_what(client_as: ClientFactory, client: httpx.Client, data: Database) -> None:
    citizen = client_as(CITIZEN)
    assert citizen.get("/dashboards", headers={"Accept": "text/html"}).status_code == 200
    assert citizen.get("/wall", headers={"Accept": "text/html"}).status_code == 403
    anonymous = client.get("/dashboards", headers={"Accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    outsider = client_as(OPERATOR01)  # Hà Nội
    refused = outsider.get(f"/dashboards/{BOARD}?unit=48", headers={"Accept": "text/html"})
    assert refused.status_code in (403, 404)
    own = page(outsider, "/")
    assert 'data-testid="home-title">Thành phố Hà Nội<' in own
    assert embedded(own)["unit"]["code"] == "01"
    unknown = client_as(OPERATOR48).get("/dashboards/khong-co", headers={"Accept": "text/html"})
    assert unknown.status_code == 404


def test_english_by_the_cookie(client_as: ClientFactory, data: Database) -> None:
    leader = client_as(LEADER48)
    leader.cookies.set("dh_lang", "en")
    text = page(leader, f"/dashboards/{BOARD}?period={PERIOD}")
    assert '<html lang="en">' in text
    assert 'data-testid="period-label">October 2026 (15 Sep 2026 – 14 Oct 2026)<' in text
    switch = re.search(r'data-testid="calendar-switch">(.*?)</nav>', text, re.S)
    assert switch
    assert ">Calendar</a>" in switch.group(1)
    assert ">Decree 09 reporting period</a>" in switch.group(1)
    assert "Download CSV" in text
    assert kpi_values(text)["retail"] == "19,500"  # English grouping
    assert embedded(text, "dash-strings")["reconnecting"] == "Connection lost, reconnecting…"


def test_first_wall_screen_stops_before_a_widget_that_would_not_fit() -> None:
    class Spec:
        def __init__(self, y: int, h: int) -> None:
            self.y, self.h = y, h

    class Shown:
        def __init__(self, y: int, h: int) -> None:
            self.spec = Spec(y, h)

    cells: Any = [Shown(0, 2), Shown(2, 2), Shown(4, 4), Shown(8, 2)]
    chosen, top, rows = first_screen(cells, 6)
    assert (len(chosen), top, rows) == (2, 0, 4)
    tall, top, rows = first_screen([Shown(3, 9)], 6)  # taller than a screen: shown alone
    assert (len(tall), top, rows) == (1, 3, 9)


def test_live_refresh_computes_only_the_widgets_asked(
    client_as: ClientFactory, data: Database
) -> None:
    leader = client_as(LEADER48)
    full = api(leader, BOARD, period=PERIOD)
    part = api(leader, BOARD, period=PERIOD, widgets="budget,feed")
    assert [w["id"] for w in part["widgets"]] == ["budget", "feed"]
    assert [w["id"] for w in part["dashboard"]["widgets"]] == ["budget", "feed"]
    budget = next(w for w in full["widgets"] if w["id"] == "budget")
    assert part["widgets"][0] == budget
    refused = leader.get(f"/api/v1/dashboards/{BOARD}/data", params={"widgets": "Budget;x"})
    assert refused.status_code == 422


# --- the Decree-09 reporting period -------------------------------------------------------------


def calendar_links(text: str) -> dict[str, tuple[str, bool]]:
    """The calendar switch: calendar → (its link, whether it is the one shown)."""
    switch = re.search(r'data-testid="calendar-switch">(.*?)</nav>', text, re.S)
    assert switch, "no calendar switch"
    found = re.findall(
        r'<a href="([^"]+)" data-calendar="(\w+)"( aria-current="true")?>', switch[1]
    )
    return {name: (html_lib.unescape(href), bool(current)) for href, name, current in found}


def test_switching_calendar_keeps_unit_and_period_type(
    client_as: ClientFactory, data: Database
) -> None:
    leader = client_as(LEADER48)
    today = units.today()
    text = page(leader, f"/dashboards/{BOARD}?unit={HAI_VAN}")  # the dashboard's Decree 09
    shown = latest_closed("month", today, "decree09")
    assert embedded(text)["period"] == str(shown)
    switch = calendar_links(text)
    assert switch["decree09"] == (f"/dashboards/{BOARD}?unit={HAI_VAN}&period={shown}", True)
    plain = (
        shown if is_closed(shown, today, "calendar") else latest_closed("month", today, "calendar")
    )
    assert switch["calendar"] == (
        f"/dashboards/{BOARD}?unit={HAI_VAN}&period={plain}&calendar=calendar",
        False,
    )
    # in the calendar: every link inside the board stays in it
    text = page(leader, f"/dashboards/{BOARD}?unit={HAI_VAN}&period={PERIOD}&calendar=calendar")
    board = embedded(text)
    assert (board["calendar"], board["period"], board["period_label"]) == (
        "calendar",
        PERIOD,
        "Tháng 10/2026",
    )
    assert 'data-testid="period-label">Tháng 10/2026<' in text
    found = links(text)
    crumb = f"/dashboards/{BOARD}?unit=48&period={PERIOD}&calendar=calendar"
    assert crumb in found
    for period in ("2026-09", "2026Q3", "2026S1", "2025"):
        assert f"/dashboards/{BOARD}?unit={HAI_VAN}&period={period}&calendar=calendar" in found
    csv_link = (
        f"/api/v1/dashboards/{BOARD}/widgets/retail/data.csv"
        f"?unit={HAI_VAN}&period={PERIOD}&calendar=calendar"
    )
    assert csv_link in found
    live = re.search(r'data-dh-dashboard[^>]*data-url="([^"]+)"', text)
    assert live  # the live refresh stays in the calendar too
    assert html_lib.unescape(live.group(1)) == (
        f"/api/v1/dashboards/{BOARD}/data?unit={HAI_VAN}&period={PERIOD}&calendar=calendar"
    )
    assert calendar_links(text)["decree09"] == (
        f"/dashboards/{BOARD}?unit={HAI_VAN}&period={PERIOD}",  # October closed in both
        False,
    )
    # the numbers are the API's, in that calendar, and the same as in the decree's
    assert kpi_values(text) == shown_kpis_of(leader, HAI_VAN, PERIOD, "calendar")
    assert kpi_values(text) == shown_kpis_of(leader, HAI_VAN, PERIOD, "decree09")


def shown_kpis_of(client: httpx.Client, unit: str, period: str, calendar: str) -> dict[str, str]:
    return shown(api(client, BOARD, unit=unit, period=period, calendar=calendar))


def test_ranking_links_keep_the_readers_calendar(client_as: ClientFactory, data: Database) -> None:
    leader = client_as(LEADER48)
    text = page(leader, f"/dashboards/{BOARD}?period={PERIOD}&calendar=calendar")
    ranking = re.search(r'data-widget="poverty-ranking".*?</ol>', text, re.S)
    assert ranking
    hrefs = [
        html_lib.unescape(h) for h in re.findall(r'href="(/dashboards/[^"]+)"', ranking.group(0))
    ]
    assert hrefs[0] == f"/dashboards/{BOARD}?unit={LIEN_CHIEU}&period={PERIOD}&calendar=calendar"
    # the Decree-09 tile labels carry the window, the year to date from 15/12
    own = page(leader, f"/dashboards/{BOARD}?period={PERIOD}")
    retail = re.search(r'data-widget="retail".*?class="w-kpi-period">([^<]*)<', own, re.S)
    assert retail
    assert html_lib.unescape(retail.group(1)) == (
        "Lũy kế đến Tháng 10/2026 (15/12/2025 – 14/10/2026)"
    )


def test_home_switches_to_decree09(client_as: ClientFactory, data: Database) -> None:
    leader = client_as(LEADER48)
    plain = page(leader, f"/?period={PERIOD}")
    assert embedded(plain)["calendar"] == "calendar"  # the overview's own
    assert calendar_links(plain)["decree09"] == (f"/?period={PERIOD}&calendar=decree09", False)
    text = page(leader, f"/?period={PERIOD}&calendar=decree09")
    board = embedded(text)
    assert (board["calendar"], board["period_window"]) == (
        "decree09",
        {"first": "2026-09-15", "last": "2026-10-14"},
    )
    assert 'data-testid="period-label">Tháng 10/2026 (15/09/2026 – 14/10/2026)<' in text
    found = links(text)
    assert f"/dashboards/{HOME}?unit={LIEN_CHIEU}&period={PERIOD}&calendar=decree09" in found
    assert "/?period=2026-09&calendar=decree09" in found
    assert kpi_values(text) == kpi_values(plain)  # the same numbers


def test_an_unknown_calendar_is_a_422_page(client_as: ClientFactory, data: Database) -> None:
    leader = client_as(LEADER48)
    for url in (f"/dashboards/{BOARD}?calendar=lunar", "/?calendar=lunar"):
        r = leader.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 422, url
        assert r.headers["content-type"].startswith("text/html")


def test_the_wall_uses_each_dashboards_own_calendar(
    client_as: ClientFactory, data: Database
) -> None:
    admin = client_as(ADMIN)
    body = {
        "code": "bao-cao",
        "name": "Báo cáo",
        "items": [{"dashboard": BOARD, "seconds": 10}, {"dashboard": HOME, "seconds": 10}],
    }
    assert admin.put("/api/v1/wall/playlists/bao-cao", json=body).status_code == 200
    text = page(admin, "/wall?playlist=bao-cao")
    first = embedded(text, "wall-first")
    today = units.today()
    assert (first["calendar"], first["period"]) == (
        "decree09",
        str(latest_closed("month", today, "decree09")),
    )
    items = embedded(text, "wall-items")
    assert [i["data_url"] for i in items] == [
        f"/api/v1/dashboards/{BOARD}/data",
        f"/api/v1/dashboards/{HOME}/data",
    ]
    second = api(admin, HOME)
    assert (second["calendar"], second["period"]) == (
        "calendar",
        str(latest_closed("month", today, "calendar")),
    )
