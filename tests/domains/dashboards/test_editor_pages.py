"""The dashboard composer and the playlist editor as HTTP pages: who may open them, what the
server renders, and the state it embeds for the script (widget types read from the schemas,
counters, Vietnamese texts), on both databases."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import httpx
import pytest

from dieuhanh.domains.dashboards import counters
from dieuhanh.domains.dashboards.pages_editor import JS_STRINGS, widget_types
from dieuhanh.domains.dashboards.schemas import Widget
from tests.fixtures.auth import ADMIN, ADMIN48, CITIZEN, LEADER48, OPERATOR48, ClientFactory

HTML = {"Accept": "text/html"}
PACK = "kinh-te-xa-hoi"
WIDGET_TYPES = {"kpi", "timeseries", "ranking", "map", "table", "counter", "feed"}


def embedded(html: str, element_id: str) -> Any:
    """The JSON of a ``<script type="application/json" id=…>`` block."""
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert match, f"no {element_id} block"
    return json.loads(match.group(1))


def scripts_are_external(html: str) -> None:
    """Every script is a file or data: nothing inline for the CSP to refuse."""
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert 'src="' in attrs or 'type="application/json"' in attrs, attrs
        assert body.strip() == "" or 'type="application/json"' in attrs
    assert " onclick=" not in html
    assert " onchange=" not in html


def text_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, testid
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def page(client: httpx.Client, url: str) -> str:
    r = client.get(url, headers=HTML)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


# --- the composer -------------------------------------------------------------------------------


def test_new_dashboard_page(client_as: ClientFactory) -> None:
    html = page(client_as(ADMIN), "/dashboards/new")
    assert '<html lang="vi">' in html
    assert text_of(html, "editor-title") == "Tạo bảng điều khiển"
    assert 'id="f-code"' in html
    assert 'pattern="[a-z][a-z0-9_-]{1,63}"' in html
    for field in ("title_vi", "title_en", "description_vi", "description_en", "unit"):
        assert f'data-field="{field}"' in html
        assert f'data-error-for="{field}"' in html
    assert '<option value="month" selected>Hằng tháng</option>' in html
    # the owning unit: the home province and what lies directly below it
    assert re.search(r'<option value="48">[^<]*Đà Nẵng \(48\)</option>', html)
    assert '<option value="20194">' in html  # a commune of Đà Nẵng
    assert 'data-testid="delete-dashboard"' not in html  # nothing to delete yet
    assert '<script src="/static/js/dashboard-editor.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/css/dashboard-editor.css">' in html
    scripts_are_external(html)

    state = embedded(html, "editor-data")
    assert (state["mode"], state["code"], state["version"], state["widgets"]) == (
        "new",
        "",
        None,
        [],
    )
    assert set(state["types"]) == WIDGET_TYPES
    assert (state["columns"], state["max_widgets"]) == (12, 40)
    assert [c["name"] for c in state["counters"]] == counters.names()
    late = next(c for c in state["counters"] if c["name"] == "indicators.late")
    assert late["label"] != "Indicators late"  # translated
    assert state["strings"]["version_conflict"].startswith("Người khác đã lưu")
    assert set(state["strings"]) == set(JS_STRINGS)
    add_menu = re.findall(
        r'<option value="(\w+)">', html.split('<select id="add-type"')[1].split("</select>")[0]
    )
    assert add_menu == ["kpi", "timeseries", "ranking", "map", "table", "counter", "feed"]


def test_widget_types_follow_the_schemas() -> None:
    """A new widget built from a type's defaults (plus an indicator where one is required) is
    one the API accepts, and every option has a real label."""
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Widget)
    types = widget_types("vi")
    for name, spec in types.items():
        widget = {
            **spec["defaults"],
            "id": f"{name}-1",
            "x": 0,
            "y": 0,
            "w": spec["w"],
            "h": spec["h"],
        }
        for option in spec["options"]:
            assert option["label"] != option["name"], (name, option)
            if option["kind"] == "indicator":
                widget["indicator"] = "CPI"
            elif option["kind"] == "indicators":
                widget["indicators"] = ["CPI"]
            elif option["kind"] == "counters":
                widget["counters"] = ["indicators.late"]
        parsed = adapter.validate_python(widget)
        assert parsed.type == name
        assert set(spec["fields"]) == set(parsed.model_dump())
    ranking = {o["name"]: o for o in types["ranking"]["options"]}
    assert (ranking["top"]["min"], ranking["top"]["max"]) == (1, 200)
    assert ranking["indicator"]["required"] is True
    assert {
        o["name"]: o["max_items"] for o in types["timeseries"]["options"] if "max_items" in o
    } == {"indicators": 6}
    assert types["feed"]["defaults"]["topics"] == ["*"]
    assert types["kpi"]["label"] == "Ô chỉ số (KPI)"
    assert widget_types("en")["kpi"]["label"] == "KPI tile"


def test_edit_page_of_a_pack_dashboard(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    html = page(admin, f"/dashboards/{PACK}/edit")
    assert "Sửa bảng điều khiển" in text_of(html, "editor-title")
    assert text_of(html, "dashboard-code") == PACK
    assert 'id="f-code"' not in html  # the code cannot change
    assert "Do gói socioeconomic cung cấp" in text_of(html, "editor-version")
    assert 'value="Kinh tế - xã hội"' in html
    assert 'id="f-headline" name="headline" data-field="headline" checked' in html
    assert 'data-testid="delete-dashboard"' not in html  # a pack sync would bring it back
    scripts_are_external(html)
    state = embedded(html, "editor-data")
    stored = admin.get(f"/api/v1/dashboards/{PACK}").json()
    assert (state["mode"], state["code"], state["version"]) == ("edit", PACK, stored["version"])
    assert state["widgets"] == stored["widgets"]
    assert state["indicator_names"]["RETAIL_SALES"]["name"].startswith("Tổng mức bán lẻ")
    assert set(state["indicator_names"]) >= {"CPI", "POVERTY_RATE", "POPULATION"}


def test_edit_page_of_a_local_dashboard_in_english(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    created = admin.post(
        "/api/v1/dashboards",
        json={
            "code": "cua-toi",
            "title_vi": "Của tôi",
            "title_en": "Mine",
            "unit": "48",
            "widgets": [{"id": "cpi", "type": "kpi", "indicator": "CPI"}],
        },
    )
    assert created.status_code == 201, created.text
    admin.cookies.set("dh_lang", "en")
    html = page(admin, "/dashboards/cua-toi/edit")
    assert '<html lang="en">' in html
    assert text_of(html, "editor-title") == "Edit dashboard cua-toi"
    assert text_of(html, "dashboard-unit") == "48"
    assert 'data-testid="delete-dashboard"' in html
    state = embedded(html, "editor-data")
    assert state["strings"]["saving"] == "Saving…"
    assert state["indicator_names"] == {"CPI": {"name": state["indicator_names"]["CPI"]["name"]}}
    assert "consumer price" in state["indicator_names"]["CPI"]["name"].lower()


def calendar_choice(html: str) -> tuple[str, list[str]]:
    """The calendar select: the chosen value and every value offered."""
    select = html.split('id="f-reporting_calendar"')[1].split("</select>")[0]
    chosen = re.search(r'<option value="(\w+)" selected>', select)
    assert chosen, "no calendar chosen"
    return chosen.group(1), re.findall(r'<option value="(\w+)"', select)


def test_the_calendar_select_round_trips(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    new = page(admin, "/dashboards/new")
    assert calendar_choice(new) == ("calendar", ["calendar", "decree09"])
    assert 'data-error-for="reporting_calendar"' in new
    assert ">Kỳ báo cáo NĐ 09</option>" in new
    pack = page(admin, f"/dashboards/{PACK}/edit")
    assert calendar_choice(pack)[0] == "decree09"  # the pack's report figures
    version = admin.get(f"/api/v1/dashboards/{PACK}").json()["version"]
    saved = admin.patch(
        f"/api/v1/dashboards/{PACK}", json={"version": version, "reporting_calendar": "calendar"}
    )
    assert saved.status_code == 200, saved.text
    assert calendar_choice(page(admin, f"/dashboards/{PACK}/edit"))[0] == "calendar"


@pytest.mark.parametrize("username", [OPERATOR48, LEADER48, CITIZEN])
def test_only_administrators_open_the_editors(client_as: ClientFactory, username: str) -> None:
    user = client_as(username)
    for url in ("/dashboards/new", f"/dashboards/{PACK}/edit", "/wall/playlists"):
        r = user.get(url, headers=HTML)
        assert r.status_code == 403, url
        assert 'data-code="forbidden"' in r.text
        assert "editor-data" not in r.text


def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.Client) -> None:
    r = client.get("/dashboards/new", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/dashboards/new"


def test_missing_and_out_of_scope_dashboards(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    created = admin.post(
        "/api/v1/dashboards",
        json={"code": "ha-noi", "title_vi": "Hà Nội", "title_en": "Hanoi", "unit": "01"},
    )
    assert created.status_code == 201, created.text
    assert admin.get("/dashboards/ha-noi/edit", headers=HTML).status_code == 200
    # Đà Nẵng's administrator does not see Hà Nội's dashboard at all
    hidden = client_as(ADMIN48).get("/dashboards/ha-noi/edit", headers=HTML)
    assert hidden.status_code == 404
    assert 'data-code="dashboard_not_found"' in hidden.text
    assert admin.get("/dashboards/khong-co/edit", headers=HTML).status_code == 404
    assert admin.get("/dashboards/tong-quan/edit", headers=HTML).status_code == 404  # composed


def test_unit_choices_follow_the_admin_scope(client_as: ClientFactory) -> None:
    html = page(client_as(ADMIN48), "/dashboards/new")
    assert '<option value="48">' in html
    assert '<option value="01">' not in html


# --- playlists ------------------------------------------------------------------------------------


def item_rows(html: str) -> list[dict[str, str]]:
    """Each playlist row's chosen dashboard and field values."""
    body = html.split('id="playlist-items">')[1].split("</tbody>")[0]
    out = []
    for row in re.findall(r'<tr class="playlist-item".*?</tr>', body, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected>', row)
        values = dict(re.findall(r'name="(unit|seconds|screen)"[^>]*? value="([^"]*)"', row))
        out.append({"dashboard": chosen.group(1) if chosen else "", **values})
    return out


def test_playlists_page_shows_the_default_until_one_is_stored(client_as: ClientFactory) -> None:
    html = page(client_as(ADMIN), "/wall/playlists")
    assert '<h1 data-testid="playlists-title">Danh sách phát màn hình lớn</h1>' in html
    assert 'data-testid="no-playlists"' in html
    assert 'data-testid="default-note"' in html
    assert 'id="p-code" name="code" value="mac-dinh" readonly' in html
    assert item_rows(html) == [
        {"dashboard": "tong-quan", "unit": "", "seconds": "30", "screen": ""},
        {"dashboard": PACK, "unit": "", "seconds": "30", "screen": ""},
    ]
    # every dashboard is offered, the composed home page first
    options = re.findall(r'<option value="([^"]+)"', html.split('id="playlist-item-template"')[1])
    assert options == ["tong-quan", PACK]
    assert embedded(html, "playlist-data")["strings"]["saved"] == "Đã lưu"
    scripts_are_external(html)


def test_playlists_page_edits_a_stored_one(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    body = {
        "code": "chinh",
        "name": "Phòng điều hành",
        "items": [
            {"dashboard": PACK, "unit": "20194", "seconds": 45, "screen": 2},
            {"dashboard": "tong-quan", "seconds": 20},
        ],
    }
    assert admin.put("/api/v1/wall/playlists/chinh", json=body).status_code == 200
    html = page(admin, "/wall/playlists")  # the first stored one is opened
    assert 'data-code="chinh"' in html
    assert "Số mục: 2" in html
    assert 'data-testid="default-note"' not in html
    assert 'value="Phòng điều hành"' in html
    assert item_rows(html) == [
        {"dashboard": PACK, "unit": "20194", "seconds": "45", "screen": "2"},
        {"dashboard": "tong-quan", "unit": "", "seconds": "20", "screen": ""},
    ]
    assert 'href="/wall?playlist=chinh"' in html
    assert item_rows(page(admin, "/wall/playlists?code=chinh")) == item_rows(html)

    blank = page(admin, "/wall/playlists?new=1")
    assert 'id="p-code" name="code" required' in blank
    assert item_rows(blank) == []
    missing = admin.get("/wall/playlists?code=khong-co", headers=HTML)
    assert missing.status_code == 404
    assert 'data-code="playlist_not_found"' in missing.text
    assert admin.get("/wall/playlists?code=Sai Ma", headers=HTML).status_code == 422
