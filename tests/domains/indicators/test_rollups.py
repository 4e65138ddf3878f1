"""The roll-ups kept on write: after every kind of write through the ingestion service they
equal a rebuild from the observations, hold hand-computed figures, and a rejected batch
leaves them untouched (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import rollups, service
from dieuhanh.domains.indicators.models import ObservationRollup
from dieuhanh.domains.units import service as units
from tests.domains.indicators.test_ingest_support import ingest, make_monthly, rejected, row, staff
from tests.fixtures.auth import ADMIN
from tests.fixtures.units import unit_id

HAI_VAN, LIEN_CHIEU = "20194", "20197"  # communes of today's 48
COMMUNE_RANK = units.level_rank("commune")


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    r = ObservationRollup
    return [
        tuple(x)
        for x in session.execute(
            select(
                r.indicator_id,
                r.period_type,
                r.period_start,
                r.unit_id,
                r.disagg,
                r.level_rank,
                r.total,
                r.reported,
                r.lowest,
                r.highest,
                r.provisional,
            ).order_by(r.indicator_id, r.period_start, r.unit_id, r.disagg, r.level_rank)
        )
    ]


def assert_matches_rebuild(session: Session) -> list[tuple[Any, ...]]:
    kept = snapshot(session)
    rollups.rebuild(session)
    assert kept == snapshot(session)
    return kept


def province_row(session: Session, code: str, unit: str, month: str) -> tuple[Any, ...]:
    ident = service.get_indicator(db=session, code=code).id
    target = unit_id(session, unit)
    found = [
        r
        for r in snapshot(session)
        if r[0] == ident
        and r[2].isoformat() == f"{month}-01"
        and r[3] == target
        and r[5] == COMMUNE_RANK
    ]
    assert len(found) == 1, found
    return found[0][6:]


def test_rollups_follow_inserts_corrections_and_status_changes(session: Session) -> None:
    make_monthly(session, "R_SUM")
    admin: Actor = staff(session, ADMIN)
    ingest(
        session,
        admin,
        [
            row("R_SUM", HAI_VAN, "2026-01", 10.0),
            row("R_SUM", LIEN_CHIEU, "2026-01", 4.0, status="final"),
            row("R_SUM", HAI_VAN, "2026-02", 7.0),
            row("R_SUM", "48", "2026-01", 100.0),  # the province's own figure: not a member
            row("R_SUM", "48", "2025-05", 3.0, hierarchy="legacy"),
        ],
    )
    kept = assert_matches_rebuild(session)
    assert kept, "a commune value must reach its province and the nation"
    # total, reported, lowest, highest, provisional
    assert province_row(session, "R_SUM", "48", "2026-01") == (14.0, 2, 4.0, 10.0, 1)

    # the minimum goes up, a value is confirmed, another one arrives
    ingest(
        session,
        admin,
        [
            row("R_SUM", LIEN_CHIEU, "2026-01", 12.0, status="final"),
            row("R_SUM", HAI_VAN, "2026-01", 10.0, status="final"),
            row("R_SUM", LIEN_CHIEU, "2026-02", 1.5),
        ],
    )
    assert_matches_rebuild(session)
    assert province_row(session, "R_SUM", "48", "2026-01") == (22.0, 2, 10.0, 12.0, 0)
    assert province_row(session, "R_SUM", "48", "2026-02") == (8.5, 2, 1.5, 7.0, 2)
    nation = province_row(session, "R_SUM", "VN", "2026-02")
    assert nation == (8.5, 2, 1.5, 7.0, 2)


def test_a_rejected_batch_leaves_the_rollups_alone(session: Session) -> None:
    make_monthly(session, "R_KEEP")
    admin = staff(session, ADMIN)
    ingest(session, admin, [row("R_KEEP", HAI_VAN, "2026-01", 5.0)])
    before = snapshot(session)
    errors = rejected(
        session,
        admin,
        [row("R_KEEP", LIEN_CHIEU, "2026-01", 6.0), row("R_KEEP", "no-such-unit", "2026-01", 1)],
    )
    assert errors
    assert snapshot(session) == before
    assert province_row(session, "R_KEEP", "48", "2026-01") == (5.0, 1, 5.0, 5.0, 1)
