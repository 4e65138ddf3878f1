"""Helpers shared by the write-path tests (rows, actors, counts), and the pure helpers'
own tests: the canonical disaggregation and the request digest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.ingest import digest_rows
from dieuhanh.domains.indicators.ingest_validate import canonical_disagg, parse_disagg
from dieuhanh.domains.indicators.models import (
    IngestionBatch,
    Observation,
    ObservationRevision,
)
from dieuhanh.domains.indicators.schemas_ingest import BatchOut, ObservationIn
from tests.fixtures.auth import FIXED_USERS
from tests.fixtures.indicators import make_indicator
from tests.fixtures.units import unit_id


def row(indicator: str, unit: str, period: str, value: float, **extra: Any) -> ObservationIn:
    return ObservationIn(indicator=indicator, unit=unit, period=period, value=value, **extra)


def staff(session: Session, username: str) -> Actor:
    """The fixed test user as the signed-in actor the web layer would build."""
    user = next(u for u in FIXED_USERS if u.username == username)
    return Actor(
        kind="user",
        id=FIXED_USERS.index(user) + 1,
        name=user.username,
        role=user.role,
        scope_unit_id=unit_id(session, user.scope) if user.scope else None,
        agency_unit_id=unit_id(session, user.agency) if user.agency else None,
    )


def ingest(session: Session, actor: Actor, rows: list[ObservationIn], **kw: Any) -> BatchOut:
    kw.setdefault("source", "api")
    return service.ingest_rows(db=session, actor=actor, rows=rows, **kw)


def rejected(session: Session, actor: Actor, rows: list[ObservationIn], **kw: Any) -> list[Any]:
    """The ``import_failed`` errors of a batch that must be refused."""
    with pytest.raises(ProblemError) as caught:
        ingest(session, actor, rows, **kw)
    assert caught.value.code == "import_failed", caught.value
    assert caught.value.status == 422
    return caught.value.errors


def where(errors: list[dict[str, Any]]) -> list[tuple[int | None, str | None, str]]:
    """(row, column, code) of each error: what a client fixing a file relies on."""
    return [(e.get("row"), e.get("column"), e["code"]) for e in errors]


def counts(session: Session) -> tuple[int, int, int]:
    """(observations, revisions, batches) stored."""
    return (
        session.scalar(select(func.count()).select_from(Observation)) or 0,
        session.scalar(select(func.count()).select_from(ObservationRevision)) or 0,
        session.scalar(select(func.count()).select_from(IngestionBatch)) or 0,
    )


def make_monthly(session: Session, code: str, **overrides: Any) -> None:
    """A monthly indicator reported down to communes (test defaults otherwise)."""
    make_indicator(
        session, code, report_level=overrides.pop("report_level", "commune"), **overrides
    )


# --- the pure helpers ----------------------------------------------------------------------------


def test_disaggregations_have_one_spelling() -> None:
    assert canonical_disagg({}) == ""
    assert canonical_disagg({"sex": "female", "area": "urban"}) == "area=urban;sex=female"
    assert parse_disagg("sex=female, area=urban") == {"sex": "female", "area": "urban"}
    assert canonical_disagg(parse_disagg(" sex = female ;area=urban;")) == "area=urban;sex=female"
    with pytest.raises(ValueError, match="dimension=category"):
        parse_disagg("sex")


def test_digest_is_about_content_not_spelling() -> None:
    a = [row("X", "48", "2024-05", 1.0, disagg={"sex": "male", "area": "urban"})]
    b = [
        ObservationIn.model_validate(
            {"period": "2024-05", "value": 1, "unit": "48", "indicator": "X",
             "disagg": {"area": "urban", "sex": "male"}}
        )
    ]  # fmt: skip
    assert digest_rows(a) == digest_rows(b)
    assert digest_rows(a) != digest_rows([row("X", "48", "2024-05", 1.5)])
    assert digest_rows(a) != digest_rows([*a, *a])
