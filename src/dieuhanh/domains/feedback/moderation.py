"""What of a citizen's text may be shown to the public.

People write their phone number, e-mail or ID card number into the description ("gọi tôi
0905…"), and some write insults. The public text is therefore never the description as
typed: it is a copy with personal data masked and abusive words starred, computed at intake
(``public_description``), and flagged for an operator when something was masked. Operators
may rewrite the public text or hide a report from the public side entirely; the original
stays in the staff view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dieuhanh.core.text import fold

MASK = "***"
# Vietnamese mobile and landline numbers as people type them: 0905 123 456, +84 905.123.456
PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ID_NUMBER = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")  # CMND (9) and CCCD (12 digits)
# words that have no place on a public page, folded (no diacritics, lower case): a short
# list of the common ones
ABUSIVE = frozenset(
    {
        # only forms that cannot be ordinary words once diacritics are folded away ("lớn",
        # "các", "buổi", "con chó" all fold to something a rude word also folds to)
        "dm",
        "dcm",
        "dmm",
        "vcl",
        "vkl",
        "clgt",
        "oc cho",
        "do cho",
        "thang cho",
        "ngu nhu bo",
        "ngu nhu cho",
    }
)


@dataclass(frozen=True)
class Cleaned:
    text: str
    masked_personal: bool
    masked_abusive: bool

    @property
    def flagged(self) -> bool:
        return self.masked_personal or self.masked_abusive


def _mask_personal(text: str) -> tuple[str, bool]:
    found = False
    for pattern in (EMAIL, PHONE, ID_NUMBER):
        text, n = pattern.subn(MASK, text)
        found = found or n > 0
    return text, found


def _mask_abusive(text: str) -> tuple[str, bool]:
    """Star abusive words or phrases, matched on folded words so that diacritics, case and
    punctuation do not hide them; the rest of the text keeps its accents."""
    words = list(re.finditer(r"\w+", text))
    folded = [fold(w.group()) for w in words]
    hits: list[tuple[int, int]] = []
    n = 0
    while n < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(folded[n : n + size])
            if len(folded[n : n + size]) == size and phrase in ABUSIVE:
                hits.append((words[n].start(), words[n + size - 1].end()))
                n += size
                break
        else:
            n += 1
    for start, end in reversed(hits):
        text = text[:start] + MASK + text[end:]
    return text, bool(hits)


def clean(description: str) -> Cleaned:
    """The public copy of a citizen's text (see the module notes)."""
    text, personal = _mask_personal(description)
    text, abusive = _mask_abusive(text)
    return Cleaned(text, personal, abusive)
