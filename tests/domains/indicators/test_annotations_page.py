"""The notes on the indicator page, both databases: listed under the chart with author and
date in the page's language, embedded in the chart's data, and the form and the delete
buttons only for those the service lets write."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

from tests.fixtures.auth import ADMIN, LEADER48, OPERATOR48, ClientFactory

PAGE = "/indicators/BUDGET_REVENUE?unit=48&period_type=month&period=2026-10"
NOTES = "/api/v1/indicators/BUDGET_REVENUE/annotations"


def chart_data(html: str) -> dict[str, Any]:
    match = re.search(r"data-chart='([^']*)'", html)
    assert match, "no chart on the page"
    data: dict[str, Any] = json.loads(html_lib.unescape(match.group(1)))
    return data


def test_notes_under_the_chart_and_who_sees_the_form(client_as: ClientFactory) -> None:
    admin = client_as(ADMIN)
    made = admin.post(
        NOTES,
        json={
            "unit": "48",
            "day": "2026-10-05",
            "kind": "event",
            "text_vi": "Bão số 12 đổ bộ",
            "text_en": "Typhoon No. 12",
        },
    )
    assert made.status_code == 201, made.text
    everywhere = admin.post(NOTES, json={"day": "2026-10-01", "text_vi": "Toàn quốc"})
    assert everywhere.status_code == 201, everywhere.text

    leader = client_as(LEADER48).get(PAGE, headers={"Accept": "text/html"})
    assert leader.status_code == 200, leader.text
    text = html_lib.unescape(leader.text)
    assert "Ghi chú trên biểu đồ" in text
    assert "Bão số 12 đổ bộ" in text
    assert "05/10/2026" in text
    assert "Quản trị hệ thống thêm lúc" in text
    assert "Mọi đơn vị" in text  # the unit-less note
    assert 'data-testid="annotation-form"' not in text  # leaders set plans, not data
    assert "data-delete-url" not in text
    marks = chart_data(leader.text)["annotations"]
    assert [(m["period"], m["text"], m["kind_label"]) for m in marks] == [
        ("2026-10", "Toàn quốc", "Ghi chú"),
        ("2026-10", "Bão số 12 đổ bộ", "Sự kiện"),
    ]

    operator = client_as(OPERATOR48).get(PAGE, headers={"Accept": "text/html"})
    assert 'data-testid="annotation-form"' in operator.text
    assert 'data-api="/api/v1/indicators/BUDGET_REVENUE/annotations"' in operator.text
    # the province's note may go; the note for every unit is not theirs to remove
    deletable = re.findall(r'data-delete-url="([^"]+)"', operator.text)
    assert deletable == [f"/api/v1/indicators/annotations/{made.json()['id']}"]
    assert 'name="every_unit"' not in operator.text  # installation-wide writers only
    assert 'name="every_unit"' in admin.get(PAGE, headers={"Accept": "text/html"}).text

    reader = client_as(LEADER48)
    reader.cookies.set("dh_lang", "en")  # the language switch
    english = reader.get(PAGE, headers={"Accept": "text/html"})
    english_text = html_lib.unescape(english.text)
    assert "Typhoon No. 12" in english_text
    assert "5 Oct 2026" in english_text
    assert "Notes on the chart" in english_text
