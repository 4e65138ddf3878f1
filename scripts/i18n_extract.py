"""List every translatable message id in the package, grouped by the catalog that owns it.

Used by the i18n completeness test and by developers (`python scripts/i18n_extract.py`) to
see which ids a catalog still lacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent / "src" / "dieuhanh"
METHOD_MAP = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def message_ids() -> dict[str, list[str]]:
    """msgid -> list of 'file:line' where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, OPTIONS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


if __name__ == "__main__":
    for msgid, places in sorted(message_ids().items()):
        sys.stdout.write(f"{msgid!r}\t{places[0]}\n")
