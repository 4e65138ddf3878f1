"""Across the 2025 reform: legacy data on today's map and today's data on the legacy map.

Real successions of Đà Nẵng are used: legacy Xã Hòa Liên (20296) was split between today's
Phường Hải Vân (20194, weight 0.5) and Phường Liên Chiểu (20197, weight 0.5); Hải Vân also
absorbed the whole of legacy 20194, 20195 and 20293, Liên Chiểu the whole of legacy 20197;
legacy Đà Nẵng (48) and Quảng Nam (49) merged into today's Đà Nẵng (48).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.domains.indicators import service
from dieuhanh.domains.units import service as units
from tests.domains.indicators.test_query import (
    ADMIN,
    CURRENT,
    HAI_VAN,
    LEGACY,
    LIEN_CHIEU,
    grid,
    indicator,
    put,
    unit,
)

HOA_LIEN = "20296"  # legacy commune split in two


# --- the units-side map ------------------------------------------------------------------------


def test_rollup_map_to_today_carries_split_weights(session: Session) -> None:
    hai_van = unit(session, HAI_VAN)
    mapping = units.rollup_map(target_ids=[hai_van.id], hierarchy=CURRENT, level="commune")
    rows = {(r.src_id, r.remapped): r.weight for r in session.execute(mapping)}
    legacy = {
        code: unit(session, code, LEGACY).id for code in ("20194", "20195", "20293", HOA_LIEN)
    }
    assert rows == {
        (hai_van.id, 0): 1.0,
        (legacy["20194"], 1): 1.0,
        (legacy["20195"], 1): 1.0,
        (legacy["20293"], 1): 1.0,
        (legacy[HOA_LIEN], 1): 0.5,
    }


def test_rollup_map_to_the_legacy_map_normalises_over_predecessors(session: Session) -> None:
    hoa_lien = unit(session, HOA_LIEN, LEGACY)
    mapping = units.rollup_map(target_ids=[hoa_lien.id], hierarchy=LEGACY, level="commune")
    rows = {r.src_id: r.weight for r in session.execute(mapping) if r.remapped}
    # Hải Vân came from 3 whole communes and half of Hòa Liên: Hòa Liên's share is 0.5/3.5;
    # Liên Chiểu from a whole commune and half of Hòa Liên: 0.5/1.5
    assert rows == pytest.approx(
        {unit(session, HAI_VAN).id: 0.5 / 3.5, unit(session, LIEN_CHIEU).id: 0.5 / 1.5}
    )


def test_rollup_map_expected_units_and_levels(session: Session) -> None:
    province = unit(session, "48")
    mapping = units.rollup_map(
        target_ids=[province.id], hierarchy=CURRENT, level="commune"
    ).subquery()
    direct = session.execute(select(mapping.c.unit_id).where(mapping.c.remapped == 0)).all()
    assert len(direct) == 94
    assert units.level_in(CURRENT, "district") == "province"
    assert units.level_in(LEGACY, "district") == "district"
    by_district = units.rollup_map(target_ids=[province.id], hierarchy=CURRENT, level="district")
    crossed = [r for r in session.execute(by_district) if r.remapped]
    assert len(crossed) == 8 + 17  # legacy districts of Đà Nẵng and Quảng Nam, absorbed


def test_units_by_ids(session: Session) -> None:
    ids = [unit(session, "48").id, unit(session, HAI_VAN).id]
    found = units.units_by_ids(db=session, unit_ids=ids)
    assert sorted(u.code for u in found.values()) == [HAI_VAN, "48"]


# --- legacy data on today's map -----------------------------------------------------------------


def test_a_split_commune_is_shared_by_weight(session: Session) -> None:
    ind = indicator(session, "R_SPLIT", report_level="commune")
    put(session, ind, HOA_LIEN, "2025-06", 8)
    put(session, ind, "20194", "2025-06", 2)  # legacy Hòa Hiệp Bắc, whole into Hải Vân
    targets = [unit(session, HAI_VAN), unit(session, LIEN_CHIEU), unit(session, "48")]
    cells = grid(session, [ind], targets, ["2025-06"])
    hai_van = cells[("R_SPLIT", HAI_VAN, "2025-06")]
    assert hai_van.value == pytest.approx(2 + 8 * 0.5)
    assert hai_van.remapped
    assert cells[("R_SPLIT", LIEN_CHIEU, "2025-06")].value == pytest.approx(8 * 0.5)
    province = cells[("R_SPLIT", "48", "2025-06")]
    assert province.value == pytest.approx(10)  # the split adds back up
    assert province.remapped
    assert (province.coverage.reported, province.coverage.expected) == (2, 94)


def test_an_average_counts_the_split_value_for_each_part(session: Session) -> None:
    ind = indicator(session, "R_SPLIT_AVG", report_level="commune", agg_units="avg")
    put(session, ind, HOA_LIEN, "2025-06", 8)
    put(session, ind, "20194", "2025-06", 2)
    cells = grid(session, [ind], [unit(session, HAI_VAN), unit(session, LIEN_CHIEU)], ["2025-06"])
    # Hải Vân: (2·1 + 8·0.5) / 1.5; Liên Chiểu: Hòa Liên's own rate
    assert cells[("R_SPLIT_AVG", HAI_VAN, "2025-06")].value == pytest.approx(6 / 1.5)
    assert cells[("R_SPLIT_AVG", LIEN_CHIEU, "2025-06")].value == pytest.approx(8)


def test_own_data_of_today_wins_over_remapped_data(session: Session) -> None:
    ind = indicator(session, "R_PREFER", report_level="commune")
    put(session, ind, HOA_LIEN, "2025-06", 8)
    put(session, ind, HAI_VAN, "2025-06", 50, hierarchy=CURRENT)  # recalculated on the new map
    cell = grid(session, [ind], [unit(session, HAI_VAN)], ["2025-06"])[
        ("R_PREFER", HAI_VAN, "2025-06")
    ]
    assert cell.value == 50
    assert not cell.remapped


def test_merged_province_series_is_continuous(session: Session) -> None:
    ind = indicator(session, "R_MERGED")  # province-level, summed
    put(session, ind, "48", "2025-05", 90)
    put(session, ind, "49", "2025-05", 45)
    put(session, ind, "48", "2025-06", 100)
    put(session, ind, "49", "2025-06", 50)
    put(session, ind, "48", "2025-07", 160)  # today's Đà Nẵng
    got = service.series(
        db=session, actor=ADMIN, code="R_MERGED", unit="48", start="2025-05", end="2025-07"
    )
    assert [p.value for p in got.points] == [135, 150, 160]
    assert [p.remapped for p in got.points] == [True, True, False]
    quarter = grid(session, [ind], [unit(session, "48")], ["2025Q2", "2025Q3"])
    assert quarter[("R_MERGED", "48", "2025Q2")].value == 135 + 150
    assert quarter[("R_MERGED", "48", "2025Q3")].value == 160


def test_merged_province_average(session: Session) -> None:
    ind = indicator(session, "R_CPI", agg_units="avg", agg_time="avg")
    put(session, ind, "48", "2025-06", 101)
    put(session, ind, "49", "2025-06", 103)
    cell = grid(session, [ind], [unit(session, "48")], ["2025-06"])[("R_CPI", "48", "2025-06")]
    assert cell.value == pytest.approx(102)


def test_a_year_across_the_reform_mixes_both_maps(session: Session) -> None:
    ind = indicator(session, "R_YEAR", report_level="commune", agg_time="last")
    put(session, ind, HOA_LIEN, "2025-06", 8)
    put(session, ind, LIEN_CHIEU, "2025-12", 30)
    cells = grid(session, [ind], [unit(session, LIEN_CHIEU), unit(session, "48")], ["2025"])
    # Liên Chiểu's latest is its own December value, not the June value mapped from Hòa Liên
    assert cells[("R_YEAR", LIEN_CHIEU, "2025")].value == 30
    # Hải Vân's latest is June (mapped); Liên Chiểu's December: summed per unit
    assert cells[("R_YEAR", "48", "2025")].value == pytest.approx(4 + 30)


def test_district_series_are_carried_by_provinces(session: Session) -> None:
    ind = indicator(session, "R_DISTRICT", report_level="district")
    put(session, ind, "490", "2025-06", 3)  # Quận Liên Chiểu (legacy Đà Nẵng)
    put(session, ind, "502", "2025-06", 4)  # a legacy Quảng Nam district
    cell = grid(session, [ind], [unit(session, "48")], ["2025-06"])[("R_DISTRICT", "48", "2025-06")]
    assert cell.value == 7
    assert cell.remapped


# --- today's data on the legacy map ---------------------------------------------------------------


def test_todays_province_on_the_legacy_map(session: Session) -> None:
    ind = indicator(session, "R_BACK")
    put(session, ind, "48", "2025-07", 160)
    targets = [unit(session, "48", LEGACY), unit(session, "49", LEGACY)]
    cells = grid(session, [ind], targets, ["2025-07"], hierarchy=LEGACY)
    # today's 48 came from two whole provinces: each gets half of a sum
    assert cells[("R_BACK", "48", "2025-07")].value == pytest.approx(80)
    assert cells[("R_BACK", "49", "2025-07")].value == pytest.approx(80)
    assert cells[("R_BACK", "48", "2025-07")].remapped


def test_todays_communes_on_the_legacy_map(session: Session) -> None:
    ind = indicator(session, "R_BACK_COMMUNE", report_level="commune")
    put(session, ind, HAI_VAN, "2025-07", 35)
    put(session, ind, LIEN_CHIEU, "2025-07", 30)
    targets = [unit(session, HOA_LIEN, LEGACY), unit(session, LIEN_CHIEU, LEGACY)]
    cells = grid(session, [ind], targets, ["2025-07"], hierarchy=LEGACY)
    # Hòa Liên: 35·0.5/3.5 from Hải Vân + 30·0.5/1.5 from Liên Chiểu; legacy Liên Chiểu:
    # 30·1/1.5
    assert cells[("R_BACK_COMMUNE", HOA_LIEN, "2025-07")].value == pytest.approx(5 + 10)
    assert cells[("R_BACK_COMMUNE", LIEN_CHIEU, "2025-07")].value == pytest.approx(20)


def test_legacy_series_through_as_of(session: Session) -> None:
    ind = indicator(session, "R_AS_OF")
    put(session, ind, "49", "2025-06", 50)
    put(session, ind, "48", "2025-07", 160)
    got = service.series(
        db=session,
        actor=ADMIN,
        code="R_AS_OF",
        unit="49",
        start="2025-06",
        end="2025-07",
        as_of=date(2025, 1, 1),
    )
    assert got.hierarchy == LEGACY
    assert got.unit.name == "Tỉnh Quảng Nam"
    assert [p.value for p in got.points] == [50, 80]
    assert [p.remapped for p in got.points] == [False, True]


def test_id_runs_of_a_hierarchy(session: Session) -> None:
    legacy = units.id_runs(db=session, hierarchy=LEGACY)
    assert legacy
    covered = sum(last - first + 1 for first, last in legacy)
    assert covered == 63 + 696 + 10_035 + 1  # provinces, districts, communes, the nation
    quang_nam = unit(session, "49", LEGACY).id
    assert any(first <= quang_nam <= last for first, last in legacy)
    today = unit(session, "48").id
    assert not any(first <= today <= last for first, last in legacy)
