"""Vietnamese text: diacritic-insensitive search keys and dictionary sort keys.

Databases do not agree on Vietnamese collation (SQLite has none; PostgreSQL's depends on the
server's ICU/glibc), so we store two computed columns instead: a folded search key
(``Đà Nẵng`` → ``da nang``) matched with ``LIKE``, and a sort key whose byte order is the
Vietnamese dictionary order (a < ă < â < b … d < đ …, tones as a secondary key, numbers
compared by value so ``Phường 2`` comes before ``Phường 10``).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import String
from sqlalchemy.types import TypeEngine

_TONE_MARKS = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
_ALPHABET = " 0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip every diacritic (đ → d), collapse whitespace."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def _letters_and_tones(text: str) -> tuple[list[str], list[int]]:
    letters: list[str] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(ch):
            if ch in _TONE_MARKS and tones:
                tones[-1] = _TONE_MARKS[ch]
            elif letters and (letters[-1], ch) in _LETTER_MARKS:
                letters[-1] = _LETTER_MARKS[(letters[-1], ch)]
            continue
        letters.append(ch)
        tones.append(0)
    return letters, tones


def sort_key(text: str) -> str:
    """An ASCII string whose plain byte order is Vietnamese dictionary order."""
    padded = _DIGITS.sub(lambda m: m.group(0).zfill(8), _SPACES.sub(" ", text.strip()))
    letters, tones = _letters_and_tones(padded)
    primary = "".join(chr(0x30 + _RANK[ch]) if ch in _RANK else chr(0x30) for ch in letters)
    secondary = "".join(str(t) for t in tones)
    return f"{primary}\x21{secondary}"


def sort_key_type(length: int = 512) -> TypeEngine[str]:
    """Column type for sort keys: byte-order collation on PostgreSQL, BINARY on SQLite."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")
