"""Add or update translations in one domain's catalogs: ``i18n_add.py web 'Msgid=Bản dịch' …``.

Keeps the vi and en catalogs of a domain in step (en gets the id with an empty msgstr, which
gettext shows as the English id).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "src" / "dieuhanh" / "locale"


def add(domain: str, pairs: dict[str, str]) -> None:
    for lang in ("vi", "en"):
        path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for msgid, text in pairs.items():
            catalog.add(msgid, text if lang == "vi" else "")
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100)


if __name__ == "__main__":
    domain, *items = sys.argv[1:]
    add(domain, dict(item.split("=", 1) for item in items))
