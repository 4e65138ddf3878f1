"""The reference-data loader: counts, successions, closure, idempotence, all-or-nothing."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.units import service
from dieuhanh.domains.units.models import (
    ReferenceData,
    Unit,
    UnitClosure,
    UnitGeometry,
    UnitSuccession,
)
from tests.fixtures.units import HOME_PROVINCE, unit_id

LEGACY, CURRENT = "legacy", "2025"


def count(session: Session, hierarchy: str, level: str) -> int:
    _items, total = service.search_units(db=session, hierarchy=hierarchy, level=level, limit=1)
    return total


def table_count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("hierarchy", "level", "expected"),
    [
        (LEGACY, "nation", 1),
        (LEGACY, "province", 63),
        (LEGACY, "district", 696),
        (LEGACY, "commune", 10_035),
        (CURRENT, "nation", 1),
        (CURRENT, "province", 34),
        (CURRENT, "district", 0),
        (CURRENT, "commune", 3_321),
        # 14 standard provincial agencies x 34 + one People's Committee per commune of 48
        (CURRENT, "agency", 34 * 14 + 94),
    ],
)
def test_unit_counts(session: Session, hierarchy: str, level: str, expected: int) -> None:
    assert count(session, hierarchy, level) == expected


def test_commune_types_of_the_2025_map(session: Session) -> None:
    rows = session.execute(
        select(Unit.type, func.count())
        .where(Unit.hierarchy == CURRENT, Unit.level == "commune")
        .group_by(Unit.type)
    ).all()
    assert dict(rows) == {"Xã": 2_621, "Phường": 687, "Đặc khu": 13}


def test_succession_counts_and_kinds(session: Session) -> None:
    # nation + 63 provinces + 696 districts -> province + 10,602 ward-mapping rows
    assert table_count(session, UnitSuccession) == 1 + 63 + 696 + 10_602
    kinds = dict(
        session.execute(
            select(UnitSuccession.kind, func.count()).group_by(UnitSuccession.kind)
        ).all()
    )
    assert kinds["absorbed"] == 696
    assert kinds["converted"] == 5  # the commune-less island districts
    assert sum(kinds.values()) == 11_362


def test_quang_nam_became_da_nang(session: Session) -> None:
    quang_nam = unit_id(session, "49", LEGACY)
    after = service.successors(db=session, unit_id=quang_nam)
    assert [(s.unit.code, s.unit.hierarchy, s.kind, s.weight) for s in after] == [
        ("48", CURRENT, "merged", 1.0)
    ]
    merged = {
        s.unit.code
        for s in service.predecessors(db=session, unit_id=unit_id(session, "48"))
        if s.unit.level == "province"
    }
    assert merged == {"48", "49"}


def test_a_split_commune_has_weighted_successors(session: Session) -> None:
    hoa_lien = unit_id(session, "20296", LEGACY)  # Xã Hòa Liên, split in two
    after = service.successors(db=session, unit_id=hoa_lien)
    assert {s.unit.code for s in after} == {"20194", "20197"}
    assert all(s.kind == "split" for s in after)
    assert math.isclose(sum(s.weight for s in after), 1.0)
    assert [s.unit.code for s in after if s.is_default] == ["20197"]


def test_every_split_commune_sums_to_one(session: Session) -> None:
    sums = session.execute(
        select(func.sum(UnitSuccession.weight), func.count())
        .join(Unit, Unit.id == UnitSuccession.predecessor_id)
        .where(Unit.level == "commune")
        .group_by(UnitSuccession.predecessor_id)
    ).all()
    assert len(sums) == 10_035
    assert all(math.isclose(total, 1.0) for total, _n in sums)
    assert sum(1 for _t, n in sums if n > 1) == 471


def test_island_district_became_a_special_zone(session: Session) -> None:
    hoang_sa = unit_id(session, "498", LEGACY)  # Huyện Hoàng Sa, no communes
    after = service.successors(db=session, unit_id=hoang_sa)
    by_level = {s.unit.level: (s.unit.code, s.kind) for s in after}
    assert by_level == {"province": ("48", "absorbed"), "commune": ("20333", "converted")}
    assert service.get_unit(db=session, code="20333").type == "Đặc khu"


def test_closure_matches_the_parent_links(session: Session) -> None:
    for code, hierarchy, expected in [
        ("20194", LEGACY, ["VN", "48", "490"]),  # Hòa Hiệp Bắc, Liên Chiểu, Đà Nẵng
        ("20194", CURRENT, ["VN", "48"]),  # Phường Hải Vân (same code, new map)
        ("20194.UBND", CURRENT, ["VN", "48", "20194"]),
        ("48.SYT", CURRENT, ["VN", "48"]),
        ("VN", LEGACY, []),
    ]:
        crumbs = service.ancestors(db=session, unit_id=unit_id(session, code, hierarchy))
        assert [a.code for a in crumbs] == expected, code
        # breadcrumbs follow the parent links one by one
        chain = [service.get_unit(db=session, code=code, hierarchy=hierarchy)]
        while chain[-1].parent_code is not None:
            chain.append(
                service.get_unit(db=session, code=chain[-1].parent_code, hierarchy=hierarchy)
            )
        assert [u.code for u in reversed(chain[1:])] == expected


def test_closure_subtree_sizes(session: Session) -> None:
    def subtree(code: str, hierarchy: str) -> int:
        uid = unit_id(session, code, hierarchy)
        return int(
            session.scalar(
                select(func.count()).select_from(UnitClosure).where(UnitClosure.ancestor_id == uid)
            )
            or 0
        )

    # every unit of a hierarchy is below its nation
    assert subtree("VN", LEGACY) == 1 + 63 + 696 + 10_035
    assert subtree("VN", CURRENT) == 1 + 34 + 3_321 + 34 * 14 + 94
    # Đà Nẵng 2025: itself, 94 communes, their 94 UBNDs, 14 provincial agencies
    assert subtree("48", CURRENT) == 1 + 94 + 94 + 14
    assert table_count(session, UnitClosure) == 54_191


def test_boundaries_for_every_province(session: Session) -> None:
    assert table_count(session, UnitGeometry) == 63 + 34
    feature = service.boundary(db=session, unit_id=unit_id(session, "48"))
    assert feature["type"] == "Feature"
    assert feature["id"] == "48"
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    with pytest.raises(ProblemError) as err:
        service.boundary(db=session, unit_id=unit_id(session, "20194"))
    assert err.value.code == "unit_not_found"


def test_second_load_is_quick_and_changes_nothing(session: Session) -> None:
    before = table_count(session, Unit), table_count(session, UnitClosure)
    started = time.perf_counter()
    report = service.load_reference_data(db=session, home_province=HOME_PROVINCE)
    assert report.skipped
    assert time.perf_counter() - started < 0.5
    assert "up to date" in report.summary()
    assert (table_count(session, Unit), table_count(session, UnitClosure)) == before


def test_first_load_into_an_empty_database(empty_session: Session) -> None:
    steps: list[str] = []
    report = service.load_reference_data(
        db=empty_session,
        home_province=HOME_PROVINCE,
        progress=lambda label, done, total: steps.append(label),
    )
    assert not report.skipped
    assert report.units == 14_721
    assert report.inserted == 14_721
    assert report.agencies == 570
    assert report.closure == 54_191
    assert report.successions == 11_362
    assert report.boundaries == 97
    assert "14,721 units" in report.summary()
    assert {"Units", "Hierarchy (closure)", "Successions", "Boundaries"} <= set(steps)
    empty_session.commit()
    # after explicit ids, the database's own id sequence must still hand out fresh ids
    admin = Actor(kind="user", id=1, name="root", role=Role.ADMIN)
    created = service.create_agency(
        db=empty_session,
        actor=admin,
        parent_code="48",
        code="48.SDL",
        name="Sở Du lịch thành phố Đà Nẵng",
        agency_kind="tourism",
    )
    loaded_max = empty_session.scalar(select(func.max(Unit.id)).where(Unit.id != created.id))
    assert loaded_max is not None
    assert created.id > loaded_max


def corrupt(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (``line`` counts the header as 1)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_corrupted_file_writes_nothing(empty_session: Session, data_copy: Path) -> None:
    corrupt(data_copy / "admin_units/wards_2025.csv", 10, "ward_code", "2O1X4")
    corrupt(data_copy / "admin_units/wards_legacy.csv", 7, "district_code", "999")
    with pytest.raises(ProblemError) as err:
        service.load_reference_data(
            db=empty_session, home_province=HOME_PROVINCE, data_dir=data_copy
        )
    problem = err.value
    assert problem.code == "import_failed"
    assert {
        "file": "admin_units/wards_2025.csv",
        "row": 10,
        "column": "ward_code",
        "message": "'2O1X4' is not a commune code",
    } in problem.errors
    assert {
        "file": "admin_units/wards_legacy.csv",
        "row": 7,
        "column": "district_code",
        "message": "unknown code 999",
    } in problem.errors
    assert table_count(empty_session, Unit) == 0
    assert table_count(empty_session, ReferenceData) == 0


def test_corrupted_file_keeps_the_loaded_data(session: Session, data_copy: Path) -> None:
    corrupt(data_copy / "admin_units/ward_mapping_2025.csv", 3, "new_ward_code", "99999")
    before = session.scalar(select(ReferenceData.checksum))
    with pytest.raises(ProblemError) as err:
        service.load_reference_data(db=session, home_province=HOME_PROVINCE, data_dir=data_copy)
    assert err.value.errors[0]["file"] == "admin_units/ward_mapping_2025.csv"
    assert err.value.errors[0]["row"] == 3
    assert err.value.errors[0]["column"] == "new_ward_code"
    assert session.scalar(select(ReferenceData.checksum)) == before
    assert table_count(session, UnitSuccession) == 11_362


def test_bad_boundary_feature_is_reported(session: Session, data_copy: Path) -> None:
    path = data_copy / "boundaries/vn_provinces_34_2025.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    lost = collection["features"][2]["properties"]["province_code"]
    collection["features"][2]["properties"]["province_code"] = "99"
    collection["features"][4]["geometry"] = {"type": "Point", "coordinates": [108.2, 16.0]}
    path.write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(ProblemError) as err:
        service.load_reference_data(db=session, home_province=HOME_PROVINCE, data_dir=data_copy)
    where = {(e["file"], e["row"], e["column"]) for e in err.value.errors}
    rel = "boundaries/vn_provinces_34_2025.geojson"
    assert where == {
        (rel, 3, "properties.province_code"),
        (rel, 5, "geometry"),
        (rel, None, "properties.province_code"),  # the province that lost its outline
    }
    assert any(lost in e["message"] for e in err.value.errors if e["row"] is None)


def test_changed_data_reloads_and_keeps_ids(session: Session, data_copy: Path) -> None:
    da_nang = unit_id(session, "48")
    hai_van = unit_id(session, "20194")
    admin = Actor(kind="user", id=1, name="root", role=Role.ADMIN)
    local = service.create_agency(
        db=session,
        actor=admin,
        parent_code="20194",
        code="20194.TYT",
        name="Trạm Y tế phường Hải Vân",
        agency_kind="health",
    )
    # rename Phường Hải Vân
    path = data_copy / "admin_units/wards_2025.csv"
    line = next(
        i
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if text.startswith("20194,")
    )
    corrupt(path, line, "name", "Phường Hải Vân Mới")
    report = service.load_reference_data(
        db=session, home_province=HOME_PROVINCE, data_dir=data_copy
    )
    assert not report.skipped
    # the commune and its People's Committee (whose name derives from it) changed
    assert report.updated == 2
    assert report.inserted == 0
    assert report.deleted == 0
    assert unit_id(session, "48") == da_nang
    assert unit_id(session, "20194") == hai_van
    assert service.get_unit(db=session, code="20194").name == "Phường Hải Vân Mới"
    assert service.get_unit(db=session, code="20194.UBND").name.endswith("phường Hải Vân Mới")
    # the local agency survived, still under its commune
    kept = service.get_unit(db=session, code="20194.TYT")
    assert kept.id == local.id
    assert kept.origin == "local"
    assert [a.code for a in service.ancestors(db=session, unit_id=kept.id)] == [
        "VN",
        "48",
        "20194",
    ]
    found, _total = service.search_units(db=session, q="hai van moi", level="commune")
    assert [u.code for u in found] == ["20194"]


def test_another_home_province_reloads_its_committees(session: Session) -> None:
    report = service.load_reference_data(db=session, home_province="01")  # Hà Nội
    assert not report.skipped
    # 94 Đà Nẵng commune committees leave, 126 Hà Nội ones arrive, the rest is unchanged
    assert (report.deleted, report.inserted, report.updated) == (94, 126, 0)
    problem_codes = []
    for code in ("20194.UBND", "00004.UBND"):
        try:
            service.get_unit(db=session, code=code)
        except ProblemError as exc:
            problem_codes.append((code, exc.code))
    assert problem_codes == [("20194.UBND", "unit_not_found")]
    assert service.load_reference_data(db=session, home_province="01").skipped


def test_unknown_home_province_is_refused(session: Session, data_copy: Path) -> None:
    with pytest.raises(ProblemError) as err:
        service.load_reference_data(db=session, home_province="49")  # Quảng Nam is legacy
    assert err.value.code == "unit_not_found"
    (data_copy / "admin_units/provinces_2025.csv").write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(ProblemError) as err:
        service.load_reference_data(db=session, home_province="48", data_dir=data_copy)
    assert err.value.code == "import_failed"
    assert err.value.errors[0]["row"] == 1
