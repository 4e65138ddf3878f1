"""Units service: search, Vietnamese order, as_of, tree walks, scope across the 2025 reform."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.core.text import fold, sort_key
from dieuhanh.domains.units import service
from dieuhanh.domains.units.models import Unit
from tests.fixtures.units import unit_id

LEGACY, CURRENT = "legacy", "2025"


def codes(items: list[service.UnitOut]) -> list[str]:
    return [u.code for u in items]


def admin(scope: int | None = None, role: Role = Role.ADMIN) -> Actor:
    return Actor(kind="user", id=1, name="tester", role=role, scope_unit_id=scope)


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["quang nam", "Quảng Nam", "QUẢNG NAM", "  quang   NAM "])
def test_search_ignores_diacritics_and_case(session: Session, q: str) -> None:
    items, total = service.search_units(db=session, q=q, level="province", hierarchy=LEGACY)
    assert codes(items) == ["49"]
    assert total == 1


@pytest.mark.parametrize("q", ["da nang", "Đà Nẵng", "đà nẵng", "DA NANG"])
def test_search_finds_da_nang_first(session: Session, q: str) -> None:
    items, total = service.search_units(db=session, q=q, limit=5)
    assert items[0].code == "48"
    assert items[0].level == "province"
    assert total > 1  # its agencies carry the province's name too
    # each word may match anywhere: Phường Nguyễn Đại Năng (10744) matches too
    folded = [fold(f"{u.name} {u.short_name}") for u in items]
    assert all("da" in text and "nang" in text for text in folded)
    assert "10744" in codes(items)


def test_every_word_must_match_in_any_order(session: Session) -> None:
    both, _ = service.search_units(db=session, q="hai van", level="commune", parent="48")
    assert codes(both) == ["20194"]
    reversed_words, _ = service.search_units(db=session, q="van hai", level="commune", parent="48")
    assert codes(reversed_words) == ["20194"]
    one_word, total = service.search_units(db=session, q="hai", level="commune", parent="48")
    assert "20194" in codes(one_word)
    assert total > 1
    nothing, total = service.search_units(db=session, q="hai van xyz")
    assert nothing == []
    assert total == 0


def test_search_by_code(session: Session) -> None:
    items, _ = service.search_units(db=session, q="48.syt")
    assert codes(items) == ["48.SYT"]


@pytest.mark.parametrize("q", ["%", "_", "\\", "a%b"])
def test_like_wildcards_are_literal(session: Session, q: str) -> None:
    items, total = service.search_units(db=session, q=q)
    assert items == []
    assert total == 0


def test_provinces_in_vietnamese_dictionary_order(session: Session) -> None:
    items, total = service.search_units(db=session, level="province", limit=100)
    names = [u.short_name for u in items]
    assert total == 34
    assert names == sorted(names, key=sort_key)
    assert names[:8] == [
        "An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Điện Biên",
    ]  # fmt: skip
    assert names.index("Hồ Chí Minh") < names.index("Huế") < names.index("Hưng Yên")


def test_search_pagination(session: Session) -> None:
    first, total = service.search_units(db=session, level="commune", parent="48", limit=10)
    second, total2 = service.search_units(
        db=session, level="commune", parent="48", limit=10, offset=10
    )
    everything, _ = service.search_units(db=session, level="commune", parent="48", limit=1000)
    assert total == total2 == 94 == len(everything)
    assert codes(first) + codes(second) == codes(everything)[:20]
    beyond, total3 = service.search_units(db=session, level="commune", parent="48", offset=500)
    assert beyond == []
    assert total3 == 94


def test_unknown_parent_or_hierarchy(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.search_units(db=session, parent="49")  # Quảng Nam is not on today's map
    assert err.value.code == "unit_not_found"
    with pytest.raises(ProblemError) as err:
        service.search_units(db=session, hierarchy="1975")
    assert err.value.code == "validation_error"


# --- as_of -----------------------------------------------------------------------------------


def test_as_of_picks_the_hierarchy(session: Session) -> None:
    before = service.get_unit(db=session, code="00004", as_of=date(2025, 6, 30))
    after = service.get_unit(db=session, code="00004", as_of=date(2025, 7, 1))
    today = service.get_unit(db=session, code="00004")
    assert (before.hierarchy, before.name) == (LEGACY, "Phường Trúc Bạch")
    assert (after.hierarchy, after.name) == (CURRENT, "Phường Ba Đình")
    assert today.id == after.id
    assert before.id != after.id
    assert service.get_unit(db=session, code="00004", hierarchy=LEGACY).id == before.id
    old, _ = service.search_units(
        db=session, q="quang nam", level="province", as_of=date(2025, 1, 1)
    )
    new, _ = service.search_units(db=session, q="quang nam", level="province")
    assert codes(old) == ["49"]
    assert new == []


def test_default_as_of_is_today_in_vietnam(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.get_unit(db=session, code="49")
    assert err.value.code == "unit_not_found"
    # 30 June 2025, 23:30 in Hà Nội is still the old map, though UTC says 16:30
    with time_machine.travel("2025-06-30T16:30:00+00:00", tick=False):
        assert service.get_unit(db=session, code="49").name == "Tỉnh Quảng Nam"
    with (
        time_machine.travel("2025-06-30T17:30:00+00:00", tick=False),  # 00:30 on 1 July
        pytest.raises(ProblemError),
    ):
        service.get_unit(db=session, code="49")


def test_hierarchy_for() -> None:
    assert service.hierarchy_for(date(1990, 1, 1)) == LEGACY
    assert service.hierarchy_for(date(2025, 6, 30)) == LEGACY
    assert service.hierarchy_for(date(2025, 7, 1)) == CURRENT
    assert service.hierarchy_for(date(2040, 1, 1)) == CURRENT


# --- tree walks ------------------------------------------------------------------------------


def test_children_admin_units_first_then_agencies(session: Session) -> None:
    items, total = service.children(db=session, unit_id=unit_id(session, "48"))
    assert total == 94 + 14
    levels = [u.level for u in items]
    assert levels == ["commune"] * 94 + ["agency"] * 14
    communes = [u.short_name for u in items[:94]]
    assert communes == sorted(communes, key=sort_key)
    agencies, n = service.children(db=session, unit_id=unit_id(session, "48"), level="agency")
    assert n == 14
    assert "48.SYT" in codes(agencies)


def test_get_unit_by_id_and_missing(session: Session) -> None:
    uid = unit_id(session, "48.SYT")
    unit = service.get_unit_by_id(db=session, unit_id=uid)
    assert (unit.code, unit.agency_kind, unit.parent_code) == ("48.SYT", "health", "48")
    assert unit.name == "Sở Y tế thành phố Đà Nẵng"
    assert "id" not in unit.model_dump()
    with pytest.raises(ProblemError) as err:
        service.get_unit_by_id(db=session, unit_id=10**9)
    assert err.value.code == "unit_not_found"


def test_predecessors_of_a_da_nang_commune(session: Session) -> None:
    before = service.predecessors(db=session, unit_id=unit_id(session, "20194"))
    rows = {(s.unit.code, s.kind, s.weight) for s in before}
    assert rows == {
        ("20293", "merged", 1.0),  # Xã Hòa Bắc
        ("20194", "merged", 1.0),  # Phường Hòa Hiệp Bắc
        ("20195", "merged", 1.0),  # Phường Hòa Hiệp Nam
        ("20296", "split", 0.5),  # half of Xã Hòa Liên
    }
    hoa_bac = next(s for s in before if s.unit.code == "20293")
    assert [a.name for a in hoa_bac.ancestors] == ["Thành phố Đà Nẵng", "Huyện Hòa Vang"]
    assert all(s.unit.hierarchy == LEGACY for s in before)


# --- scope -----------------------------------------------------------------------------------


def test_scope_restricts_search_to_the_subtree(session: Session) -> None:
    da_nang = unit_id(session, "48")
    items, total = service.search_units(db=session, q="hai", scope_unit_id=da_nang, limit=1000)
    assert total > 0
    assert all(service.is_within(db=session, unit_id=u.id, scope_unit_id=da_nang) for u in items)
    hanoi_items, _ = service.search_units(
        db=session, q="hai", scope_unit_id=unit_id(session, "01"), limit=1000
    )
    assert not set(codes(hanoi_items)) & set(codes(items))
    with pytest.raises(ProblemError) as err:
        service.get_unit(db=session, code="01", scope_unit_id=da_nang)
    assert err.value.code == "out_of_scope"


def test_scope_follows_successions_from_legacy_units(session: Session) -> None:
    da_nang = unit_id(session, "48")
    quang_nam = unit_id(session, "49", LEGACY)
    hoi_an = unit_id(session, "503", LEGACY)  # Thành phố Hội An, a legacy district of 49
    assert service.is_within(db=session, unit_id=quang_nam, scope_unit_id=da_nang)
    assert service.is_within(db=session, unit_id=hoi_an, scope_unit_id=da_nang)
    assert not service.is_within(db=session, unit_id=unit_id(session, "01", LEGACY),
                                 scope_unit_id=da_nang)  # fmt: skip
    assert not service.is_within(db=session, unit_id=quang_nam,
                                 scope_unit_id=unit_id(session, "01"))  # fmt: skip
    provinces, _ = service.search_units(
        db=session, level="province", hierarchy=LEGACY, scope_unit_id=da_nang
    )
    assert codes(provinces) == ["48", "49"]
    # every legacy commune of old Đà Nẵng and old Quảng Nam, and nothing else
    _communes, total = service.search_units(
        db=session, level="commune", hierarchy=LEGACY, scope_unit_id=da_nang, limit=1000
    )
    legacy_48_49 = sum(
        service.search_units(db=session, level="commune", hierarchy=LEGACY,
                             scope_unit_id=unit_id(session, code, LEGACY), limit=1)[1]
        for code in ("48", "49")
    )  # fmt: skip
    assert total == legacy_48_49 > 200
    assert service.get_unit(db=session, code="49", hierarchy=LEGACY, scope_unit_id=da_nang)


def test_subtree_ids_select_as_a_subquery(session: Session) -> None:
    da_nang = unit_id(session, "48")

    def count(across: bool) -> int:
        subtree = service.subtree_ids_select(da_nang, across_versions=across)
        statement = select(func.count()).select_from(Unit).where(Unit.id.in_(subtree))
        return int(session.scalar(statement) or 0)

    assert count(False) == 1 + 94 + 94 + 14
    assert count(True) > count(False)


def test_scope_ids_feed_allowed(session: Session) -> None:
    hoi_an_commune = service.search_units(
        db=session, level="commune", hierarchy=LEGACY,
        scope_unit_id=unit_id(session, "503", LEGACY), limit=1,
    )[0][0]  # fmt: skip
    ids = service.scope_ids(db=session, unit_id=hoi_an_commune.id)
    assert {unit_id(session, "49", LEGACY), unit_id(session, "48")} <= ids
    resource = service.UnitScope(ids)
    assert allowed(admin(unit_id(session, "48"), Role.OPERATOR), "units.read", resource)
    assert not allowed(admin(unit_id(session, "01"), Role.OPERATOR), "units.read", resource)


# --- home summary ----------------------------------------------------------------------------


def test_home_summary(session: Session) -> None:
    summary = service.home_summary(db=session, province_code="48")
    assert summary.unit.name == "Thành phố Đà Nẵng"
    assert summary.unit.type == "Thành phố"
    assert summary.communes == 94
    assert summary.communes_by_type == {"Phường": 23, "Xã": 70, "Đặc khu": 1}
    assert summary.departments == 14
    assert summary.agencies == 14 + 94
    assert [p.code for p in summary.merged_from] == ["48", "49"]
    assert summary.boundary is not None
    assert summary.boundary["geometry"]["type"]


# --- agencies --------------------------------------------------------------------------------


def test_admin_adds_an_agency_in_scope(session: Session) -> None:
    da_nang = unit_id(session, "48")
    created = service.create_agency(
        db=session,
        actor=admin(da_nang),
        parent_code="48",
        code="48.SDL",
        name="Sở Du lịch thành phố Đà Nẵng",
        short_name="Sở Du lịch",
        agency_kind="tourism",
        type="Sở",
    )
    assert (created.origin, created.level, created.parent_code) == ("local", "agency", "48")
    found, _ = service.search_units(db=session, q="so du lich", scope_unit_id=da_nang)
    assert codes(found) == ["48.SDL", "48.SVHTTDL"]  # "Sở Văn hóa, Thể thao và Du lịch" too
    crumbs = service.ancestors(db=session, unit_id=created.id)
    assert codes(crumbs) == ["VN", "48"]
    assert service.is_within(db=session, unit_id=created.id, scope_unit_id=da_nang)
    nested = service.create_agency(
        db=session, actor=admin(da_nang), parent_code="48.SYT", code="48.SYT.BVDK",
        name="Bệnh viện Đa khoa Đà Nẵng", agency_kind="hospital",
    )  # fmt: skip
    assert codes(service.ancestors(db=session, unit_id=nested.id)) == ["VN", "48", "48.SYT"]


@pytest.mark.parametrize(
    ("actor_kind", "parent", "code", "kind", "problem"),
    [
        ("anonymous", "48", "48.X", "other", "not_authenticated"),
        ("operator48", "48", "48.X", "other", "forbidden"),
        ("admin01", "48", "48.X", "other", "out_of_scope"),
        ("admin48", "48", "48.SYT", "health", "unit_exists"),
        ("admin48", "48", "49.X", "other", "validation_error"),
        ("admin48", "48", "48X", "other", "validation_error"),
        ("admin48", "48", "48.X", "spaceport", "validation_error"),
        ("admin48", "VN", "VN.X", "other", "validation_error"),
        ("admin48", "49", "49.X", "other", "unit_not_found"),
    ],
)
def test_agency_creation_is_checked(
    session: Session, actor_kind: str, parent: str, code: str, kind: str, problem: str
) -> None:
    actors = {
        "anonymous": Actor(kind="anonymous"),
        "operator48": admin(unit_id(session, "48"), Role.OPERATOR),
        "admin01": admin(unit_id(session, "01")),
        "admin48": admin(unit_id(session, "48")),
    }
    with pytest.raises(ProblemError) as err:
        service.create_agency(
            db=session, actor=actors[actor_kind], parent_code=parent, code=code,
            name="Cơ quan thử", agency_kind=kind,
        )  # fmt: skip
    assert err.value.code == problem
