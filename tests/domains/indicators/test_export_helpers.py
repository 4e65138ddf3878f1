"""Hand-made observations shared by the export and SDMX tests (no tests of its own here).

Two test indicators in Đà Nẵng (48) and two of its wards, with the values every test
expects written out by hand:

- ``EXP_SALES`` (monthly, tỷ đồng, 1 decimal, reported by communes): 48 has 1234.5 (final)
  in 2026-01 and 1300.25 (provisional) in 2026-02, and **nothing** in 2026-03; Phường Hải
  Vân (20194) has 10 in 2026-01 and 7.5 in 2025-12 (when 48 has no value of its own, so
  48's 2025-12 is the roll-up 7.5 with 1 of 94 communes reported), Phường Hải Châu (20242)
  has **0** in 2026-01 (a zero, not a gap). Before the reform, legacy Đà Nẵng (48) had 800
  and legacy Quảng Nam (49) 500 in 2025-05: today's 48 shows 1300 there, re-mapped.
- ``EXP_POP`` (yearly, người, 0 decimals, disaggregated by sex): 48 in 2025 has 1,200,000
  in total, 610,000 women and 590,000 men.
- Hà Nội (01) has EXP_SALES 999 in 2026-01: outside the scope of every user scoped to 48.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.domains.indicators import rollups
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.units import service as units
from tests.fixtures.indicators import make_indicator

RECORDED_AT = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
HAI_VAN = "20194"
HAI_CHAU = "20242"
DA_NANG_NAME = "Thành phố Đà Nẵng"
HAI_VAN_NAME = "Phường Hải Vân"
HAI_CHAU_NAME = "Phường Hải Châu"

# (indicator, unit, period type, period start, period code, disagg, value, status, source)
LEGACY_OBSERVATIONS = [
    ("EXP_SALES", "48", "month", date(2025, 5, 1), "2025-05", "", 800.0, "f", "Cục Thống kê"),
    ("EXP_SALES", "49", "month", date(2025, 5, 1), "2025-05", "", 500.0, "f", "Quảng Nam"),
]
OBSERVATIONS = [
    ("EXP_SALES", "48", "month", date(2026, 1, 1), "2026-01", "", 1234.5, "f", "Cục Thống kê"),
    ("EXP_SALES", "48", "month", date(2026, 2, 1), "2026-02", "", 1300.25, "p", "Cục Thống kê"),
    ("EXP_SALES", HAI_VAN, "month", date(2026, 1, 1), "2026-01", "", 10.0, "f", "UBND phường"),
    ("EXP_SALES", HAI_VAN, "month", date(2025, 12, 1), "2025-12", "", 7.5, "f", "UBND phường"),
    ("EXP_SALES", HAI_CHAU, "month", date(2026, 1, 1), "2026-01", "", 0.0, "f", "UBND phường"),
    ("EXP_SALES", "01", "month", date(2026, 1, 1), "2026-01", "", 999.0, "f", "Hà Nội"),
    ("EXP_POP", "48", "year", date(2025, 1, 1), "2025", "", 1_200_000.0, "f", "Cục Thống kê"),
    (
        "EXP_POP",
        "48",
        "year",
        date(2025, 1, 1),
        "2025",
        "sex=female",
        610_000.0,
        "f",
        "Cục Thống kê",
    ),
    ("EXP_POP", "48", "year", date(2025, 1, 1), "2025", "sex=male", 590_000.0, "f", "Cục Thống kê"),
]


def seed_export_data(db: Session) -> None:
    """Create the two indicators and the observations above (flushed, not committed)."""
    sales = make_indicator(
        db,
        "EXP_SALES",
        name_vi="Tổng mức bán lẻ thử nghiệm",
        name_en="Test retail sales",
        measure_unit_vi="tỷ đồng",
        measure_unit_en="billion VND",
        decimals=1,
        report_level="commune",
        component="test",
    )
    population = make_indicator(
        db,
        "EXP_POP",
        name_vi="Dân số thử nghiệm",
        name_en="Test population",
        measure_unit_vi="người",
        measure_unit_en="persons",
        decimals=0,
        cadence="year",
        agg_time="avg",
        disaggregations=["sex"],
        component="census",
    )
    ids = {"EXP_SALES": sales.id, "EXP_POP": population.id}
    rows = [(r, "2025") for r in OBSERVATIONS] + [(r, "legacy") for r in LEGACY_OBSERVATIONS]
    for (code, unit, kind, start, period, disagg, value, status, source), hierarchy in rows:
        unit_id = units.get_unit(db=db, code=unit, hierarchy=hierarchy).id
        db.add(
            Observation(
                indicator_id=ids[code],
                period_type=kind,
                period_start=start,
                unit_id=unit_id,
                disagg=disagg,
                period=period,
                value=value,
                status=status,
                source=source,
                recorded_by="tests",
                recorded_at=RECORDED_AT,
            )
        )
    db.flush()
    rollups.rebuild(db)  # written straight into the table: bring the roll-ups along


def seed_committed(database: Database) -> None:
    """The same data committed, for tests that go through the HTTP server."""
    with database.transaction() as db:
        seed_export_data(db)
