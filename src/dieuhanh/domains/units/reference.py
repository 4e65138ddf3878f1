"""Fixed facts about Vietnam's administrative map: hierarchy versions, levels, agency kinds.

Pure data and pure functions (no database), shared by the loader, the queries and the schemas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dieuhanh.core.i18n import TZ

LEGACY = "legacy"
CURRENT = "2025"
REFORM_DATE = date(2025, 7, 1)  # the day the 34 provinces and 3,321 communes began to operate

HierarchyCode = Literal["legacy", "2025"]
Level = Literal["nation", "province", "district", "commune", "agency"]
LEVELS: tuple[str, ...] = ("nation", "province", "district", "commune", "agency")
ADMIN_LEVELS = frozenset({"nation", "province", "district", "commune"})
NATION_CODE = "VN"


@dataclass(frozen=True)
class HierarchySpec:
    code: str
    name: str
    valid_from: date | None
    valid_to: date | None

    def covers(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


# valid_from of the legacy map is unknown (it grew by decrees over decades): NULL.
HIERARCHIES: tuple[HierarchySpec, ...] = (
    HierarchySpec(LEGACY, "63 tỉnh, thành phố (trước 01/07/2025)", None, date(2025, 6, 30)),
    HierarchySpec(CURRENT, "34 tỉnh, thành phố (từ 01/07/2025)", REFORM_DATE, None),
)
HIERARCHY_BY_CODE = {h.code: h for h in HIERARCHIES}


def today() -> date:
    """Today in Vietnam (the default ``as_of``), not in the server's timezone."""
    return datetime.now(TZ).date()


def hierarchy_for(day: date) -> str:
    """The hierarchy version in force on ``day``: before 1 July 2025 legacy, then 2025."""
    for spec in HIERARCHIES:
        if spec.covers(day):
            return spec.code
    raise AssertionError(f"no hierarchy covers {day}")  # the specs cover every date


@dataclass(frozen=True)
class AgencySpec:
    """A department every current province has; ``{admin}`` is e.g. ``thành phố Đà Nẵng``."""

    suffix: str  # code suffix: 48.SYT
    kind: str
    type: str
    name: str  # template with {admin} and {admin_type}
    short_name: str


# The departments common to every province after the 2025 reform (Nghị định 45/2025/NĐ-CP),
# plus the People's Committee itself and the provincial police. Province-specific departments
# (Sở Dân tộc và Tôn giáo, Sở Ngoại vụ, Sở Du lịch…) are added through the API.
PROVINCE_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("UBND", "people_committee", "Ủy ban nhân dân",
               "Ủy ban nhân dân {admin}", "UBND {admin_type}"),
    AgencySpec("VPUBND", "office", "Văn phòng",
               "Văn phòng Ủy ban nhân dân {admin}", "Văn phòng UBND"),
    AgencySpec("SNV", "home_affairs", "Sở", "Sở Nội vụ {admin}", "Sở Nội vụ"),
    AgencySpec("STP", "justice", "Sở", "Sở Tư pháp {admin}", "Sở Tư pháp"),
    AgencySpec("STC", "finance", "Sở", "Sở Tài chính {admin}", "Sở Tài chính"),
    AgencySpec("SCT", "industry_trade", "Sở", "Sở Công Thương {admin}", "Sở Công Thương"),
    AgencySpec("SNNMT", "agriculture_environment", "Sở",
               "Sở Nông nghiệp và Môi trường {admin}", "Sở Nông nghiệp và Môi trường"),
    AgencySpec("SXD", "construction", "Sở", "Sở Xây dựng {admin}", "Sở Xây dựng"),
    AgencySpec("SKHCN", "science_technology", "Sở",
               "Sở Khoa học và Công nghệ {admin}", "Sở Khoa học và Công nghệ"),
    AgencySpec("SGDDT", "education", "Sở",
               "Sở Giáo dục và Đào tạo {admin}", "Sở Giáo dục và Đào tạo"),
    AgencySpec("SYT", "health", "Sở", "Sở Y tế {admin}", "Sở Y tế"),
    AgencySpec("SVHTTDL", "culture_sports_tourism", "Sở",
               "Sở Văn hóa, Thể thao và Du lịch {admin}", "Sở Văn hóa, Thể thao và Du lịch"),
    AgencySpec("TT", "inspection", "Thanh tra", "Thanh tra {admin}", "Thanh tra {admin_type}"),
    AgencySpec("CA", "police", "Công an", "Công an {admin}", "Công an {admin_type}"),
)  # fmt: skip

# Local agency codes: the administrative unit's code, a dot, a suffix (48.SDL, 20194.TYT).
AGENCY_CODE_PATTERN = r"^[0-9A-Za-z]+(\.[0-9A-Za-z_-]+)+$"
AGENCY_CODE = re.compile(AGENCY_CODE_PATTERN)

COMMUNE_AGENCY = AgencySpec(
    "UBND", "people_committee", "Ủy ban nhân dân", "Ủy ban nhân dân {admin}", "UBND {admin}"
)

# Kinds an agency may have; local agencies use these too (``other`` when none fits).
AGENCY_KINDS: frozenset[str] = frozenset(
    {spec.kind for spec in PROVINCE_AGENCIES}
    | {
        "ethnic_religious",
        "foreign_affairs",
        "tourism",
        "planning_architecture",
        "military",
        "hospital",
        "school",
        "public_service",
        "other",
    }
)


def lower_first(text: str) -> str:
    """``Thành phố Đà Nẵng`` → ``thành phố Đà Nẵng`` (used inside agency names)."""
    return text[:1].lower() + text[1:]
