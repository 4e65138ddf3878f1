"""Vietnamese first: every message id has a Vietnamese translation; formats are Vietnamese."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from scripts.i18n_extract import message_ids

from dieuhanh.core import i18n

# Ids whose Vietnamese text is legitimately identical to the English id.
SAME_IN_BOTH: set[str] = {"Điều Hành", "API", "Email"}


def test_every_message_id_is_translated_to_vietnamese() -> None:
    ids = message_ids()
    assert len(ids) > 30
    vi = i18n.translations("vi")
    missing = {
        msgid: places[0]
        for msgid, places in ids.items()
        if vi.gettext(msgid) == msgid and msgid not in SAME_IN_BOTH
    }
    assert missing == {}


def test_catalogs_compile() -> None:
    written = i18n.compile_catalogs()
    assert any(p.name == "core.mo" for p in written)
    assert all(p.stat().st_size > 0 for p in written)


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        (None, None, "vi"),
        ("en-US,en;q=0.9", None, "en"),
        ("fr-FR, en;q=0.5", None, "en"),
        ("en;q=0.4, vi;q=0.8", None, "vi"),
        ("de", None, "vi"),
        ("en", "vi", "vi"),
        ("vi", "en", "en"),
        ("en;q=abc", None, "vi"),
    ],
)
def test_negotiation(header: str | None, cookie: str | None, expected: str) -> None:
    assert i18n.negotiate(header, cookie) == expected


def test_vietnamese_number_and_date_formats() -> None:
    assert i18n.format_number(1234567.891, "vi", 2) == "1.234.567,89"
    assert i18n.format_number(1234567.891, "en", 1) == "1,234,567.9"
    assert i18n.format_number(None, "vi") == "—"
    assert i18n.format_date(date(2026, 7, 5), "vi") == "05/07/2026"
    # 20:00 UTC on 1 July is already 2 July in Hà Nội (UTC+7)
    assert i18n.format_date(datetime(2026, 7, 1, 20, 0, tzinfo=UTC), "vi") == "02/07/2026"
    assert i18n.format_datetime(datetime(2026, 7, 1, 20, 5, tzinfo=UTC), "vi") == "03:05 02/07/2026"
