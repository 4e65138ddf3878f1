"""Reading back what the write path recorded: batch summaries and the revisions of a value.

A corrected value is never lost: ``observation_revisions`` keeps every replaced row with who
replaced it and in which batch, so the history of one cell (indicator × unit × period ×
disaggregation) reads as the current row followed by its older values, newest first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, parse
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators.ingest_validate import (
    STATUS_NAMES,
    canonical_disagg,
    parse_disagg,
)
from dieuhanh.domains.indicators.models import (
    Indicator,
    IngestionBatch,
    Observation,
    ObservationRevision,
)
from dieuhanh.domains.indicators.schemas_ingest import (
    BatchOut,
    RevisionOut,
    RevisionsOut,
    RowIssue,
)
from dieuhanh.domains.units import service as units


def batch_out(batch: IngestionBatch, *, replayed: bool = False) -> BatchOut:
    """The stored summary of a batch, as the write answered it."""
    return BatchOut(
        id=batch.id,
        idempotency_key=batch.idempotency_key,
        source=batch.source,
        actor=batch.actor,
        created_at=batch.created_at,
        rows=batch.rows,
        inserted=batch.inserted,
        updated=batch.updated,
        unchanged=batch.unchanged,
        outliers=batch.outliers,
        warnings=[RowIssue.model_validate(w) for w in batch.warnings or []],
        replayed=replayed,
    )


def get_batch(*, db: Session, actor: Actor, batch_id: int) -> BatchOut:
    """A batch's summary, for the actor who wrote it or an installation-wide admin (others
    get ``not_found``, so batch numbers reveal nothing)."""
    batch = db.get(IngestionBatch, batch_id)
    installation_admin = actor.role == Role.ADMIN and actor.scope_unit_id is None
    if batch is None or not (installation_admin or batch.actor == actor.label):
        raise ProblemError("not_found", detail=f"no batch {batch_id} of yours")
    return batch_out(batch)


def value_revisions(
    *,
    db: Session,
    actor: Actor,
    code: str,
    unit: str,
    period: str,
    disagg: str = "",
    hierarchy: str | None = None,
) -> RevisionsOut:
    """Every value one cell has had, newest first (the current one first)."""
    indicator = db.execute(
        select(Indicator.id, Indicator.code).where(Indicator.code == code)
    ).first()
    if indicator is None:
        raise ProblemError("indicator_not_found", detail=f"no indicator {code!r}")
    typed: Period = parse(period)
    try:
        cell = canonical_disagg(parse_disagg(disagg))
    except ValueError as exc:
        raise ProblemError(
            "validation_error", errors=[{"location": ["query", "disagg"], "message": str(exc)}]
        ) from None
    found = units.get_unit(
        db=db,
        code=unit,
        hierarchy=hierarchy or units.hierarchy_for(typed.end),
        scope_unit_id=actor.scope_unit_id if actor.is_authenticated else None,
    )
    key = (indicator.id, typed.type.value, typed.start, found.id, cell)
    obs, rev = Observation, ObservationRevision
    current = db.execute(
        select(obs).where(
            obs.indicator_id == key[0],
            obs.period_type == key[1],
            obs.period_start == key[2],
            obs.unit_id == key[3],
            obs.disagg == key[4],
        )
    ).scalar_one_or_none()
    older = db.scalars(
        select(rev)
        .where(
            rev.indicator_id == key[0],
            rev.unit_id == key[3],
            rev.period_type == key[1],
            rev.period_start == key[2],
            rev.disagg == key[4],
        )
        .order_by(rev.revision.desc(), rev.id.desc())
    ).all()
    if current is None and not older:
        raise ProblemError("not_found", detail=f"no value of {code} for {unit} in {typed}")
    items: list[RevisionOut] = []
    if current is not None:
        items.append(
            RevisionOut(
                revision=current.revision,
                value=current.value,
                status=STATUS_NAMES[current.status],
                source=current.source,
                recorded_by=current.recorded_by,
                recorded_at=current.recorded_at,
                batch=current.batch_id,
                current=True,
            )
        )
    items.extend(
        RevisionOut(
            revision=r.revision,
            value=r.value,
            status=STATUS_NAMES[r.status],
            source=r.source,
            recorded_by=r.recorded_by,
            recorded_at=r.recorded_at,
            replaced_at=r.replaced_at,
            replaced_by=r.replaced_by,
            replaced_in_batch=r.replaced_in_batch,
            current=False,
        )
        for r in older
    )
    return RevisionsOut(
        indicator=indicator.code,
        unit=found.code,
        hierarchy=found.hierarchy,
        period=str(typed),
        disagg=cell,
        items=items,
    )
