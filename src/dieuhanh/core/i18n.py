"""Vietnamese-first internationalisation on Babel/gettext catalogs.

Each domain keeps its own catalog (``locale/<lang>/LC_MESSAGES/<domain>.po``) so that work on
different domains never edits the same file; at start-up all catalogs of a language are
merged into one :class:`babel.support.Translations`. Message ids are English; the Vietnamese
catalog translates every one of them (a test enforces it) and Vietnamese is the default.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    """Mark a string for extraction; it is translated later, where the locale is known."""
    return message


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every ``.po`` file to ``.mo`` (run by the setup; also safe to run again)."""
    written: list[Path] = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def _stale(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    return not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime


@lru_cache(maxsize=8)
def translations(locale: str, locale_dir: Path = LOCALE_DIR) -> _gettext.NullTranslations:
    """All catalogs of ``locale`` merged; compiles missing ``.mo`` files on first use."""
    folder = locale_dir / locale / "LC_MESSAGES"
    po_files = sorted(folder.glob("*.po"))
    if any(_stale(p) for p in po_files):
        compile_catalogs(locale_dir)
    merged: Translations | None = None
    for po_path in po_files:
        with po_path.with_suffix(".mo").open("rb") as fh:
            part = Translations(fp=fh, domain=po_path.stem)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged if merged is not None else _gettext.NullTranslations()


def gettext(message: str, locale: str) -> str:
    return translations(locale).gettext(message)


def negotiate(accept_language: str | None, cookie: str | None = None) -> str:
    """Pick ``vi`` or ``en``: an explicit cookie wins, then the Accept-Language header."""
    if cookie in LOCALES:
        return cookie
    if not accept_language:
        return DEFAULT_LOCALE
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality <= 0:
            continue  # q=0 means "not acceptable" (RFC 9110)
        weighted.append((-quality, index, tag.strip().lower()))
    for _q, _i, tag in sorted(weighted):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def format_number(value: int | float | Decimal | None, locale: str, decimals: int = 0) -> str:
    """Vietnamese grouping: ``1.234.567,8`` (English: ``1,234,567.8``)."""
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(value, format=fmt, locale=locale)


def format_date(value: date | datetime | None, locale: str) -> str:
    """``dd/mm/yyyy`` in Vietnamese; datetimes are shown in Asia/Ho_Chi_Minh."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    pattern = "dd/MM/yyyy" if locale == "vi" else "d MMM yyyy"
    return dates.format_date(value, format=pattern, locale=locale)


def format_datetime(value: datetime | None, locale: str) -> str:
    if value is None:
        return "—"
    local = value.astimezone(TZ)
    pattern = "HH:mm dd/MM/yyyy" if locale == "vi" else "d MMM yyyy, HH:mm"
    return dates.format_datetime(local, format=pattern, locale=locale)


def locale_names() -> Iterable[tuple[str, str]]:
    for code in LOCALES:
        yield code, Locale.parse(code).get_display_name(code) or code
