"""Writing observations: the one path every writer takes (JSON API, CSV/Excel, forms, demo).

A request is a batch and is all or nothing:

1. batches queue on a lock (:func:`.bulk.lock`); a known ``Idempotency-Key`` answers with the
   original batch (same request) or ``idempotency_conflict`` (a different one);
2. every row is resolved and checked (:mod:`.ingest_validate`) and *every* problem is
   reported at once as ``import_failed`` — nothing has been written yet;
3. inside a savepoint: the stored values around the rows are read in a few range queries,
   each row is classified (new → revision 1; same value and status → unchanged; otherwise a
   correction: the old row goes to ``observation_revisions`` and the revision number goes
   up), scored for outliers (:mod:`.outliers`), written in bulk (:mod:`.bulk`), and then the
   validation rules are checked on the values as they now are (:mod:`.rules`); an ``error``
   rule rolls the savepoint back and rejects the batch;
4. the batch is recorded (one ``ingestion_batches`` row and one audit event with its counts:
   the per-row audit hook does not see bulk writes, so the batch is audited as one event).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.core import events
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import bulk, ingest_files, outliers, rollups, rules, versions
from dieuhanh.domains.indicators.ingest_history import batch_out
from dieuhanh.domains.indicators.ingest_messages import Issue, rejected, render_all
from dieuhanh.domains.indicators.ingest_validate import Key, Resolution, Resolved, resolve
from dieuhanh.domains.indicators.models import Indicator, IngestionBatch
from dieuhanh.domains.indicators.schemas_ingest import MAX_ROWS, BatchOut, ObservationIn, RowIssue
from dieuhanh.domains.units import service as units

INGEST = "indicators.ingest"
MAX_WARNINGS = 1000  # listed with a batch; the counts always cover all of them


OBSERVATIONS_WRITTEN = "indicators.observations_written"


def digest_rows(rows: Sequence[ObservationIn]) -> str:
    """A digest of what the rows say (not how they were spelled or encoded), so that a
    retried request matches its original even if a client re-serialises it."""
    digest = hashlib.sha256()
    for r in rows:
        line = (r.indicator, r.unit, r.period, r.value, sorted(r.disagg.items()), r.status)
        digest.update(repr((*line, r.hierarchy)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def ingest_rows(
    *,
    db: Session,
    actor: Actor,
    rows: Sequence[ObservationIn],
    source: str,
    idempotency_key: str | None = None,
    row_numbers: Sequence[int] | None = None,
    locale: str = "en",
    today: date | None = None,
) -> BatchOut:
    """Write ``rows`` as one batch, or raise ``import_failed`` listing every problem.

    For callers inside the application (forms, the demo generator, connectors). Without an
    ``idempotency_key`` every call is a new batch; with one, a repeated call with the same
    rows returns the stored summary (``replayed=True``) and writes nothing. ``row_numbers``
    names the rows in messages (default 1, 2, …); ``locale`` is the language of messages.
    """
    digest = digest_rows(rows) if idempotency_key is not None else ""
    return _ingest(db, actor, rows, row_numbers, [], source, idempotency_key, digest, locale, today)


def ingest_json(
    *,
    db: Session,
    actor: Actor,
    body: bytes,
    idempotency_key: str,
    locale: str = "en",
    today: date | None = None,
) -> BatchOut:
    """``POST /data``: a ``{"rows": [...]}`` body. The idempotency digest is the body's, so a
    retry must resend the same bytes (as HTTP clients do)."""
    _require(actor)
    parsed = ingest_files.rows_from_json(body)
    digest = hashlib.sha256(body).hexdigest()
    return _ingest(
        db,
        actor,
        parsed.rows,
        parsed.row_numbers,
        parsed.issues,
        parsed.source,
        idempotency_key,
        digest,
        locale,
        today,
    )


def ingest_file(
    *,
    db: Session,
    actor: Actor,
    filename: str,
    data: bytes,
    idempotency_key: str | None = None,
    locale: str = "en",
    today: date | None = None,
) -> BatchOut:
    """``POST /data/upload``: a CSV or Excel file, checked exactly like JSON rows (row
    numbers are spreadsheet rows, the header being row 1)."""
    _require(actor)
    parsed = ingest_files.rows_from_file(filename, data)
    kind = parsed.source.encode()
    digest = hashlib.sha256(kind + b"\n" + data).hexdigest()
    return _ingest(
        db,
        actor,
        parsed.rows,
        parsed.row_numbers,
        parsed.issues,
        parsed.source,
        idempotency_key,
        digest,
        locale,
        today,
    )


def _require(actor: Actor) -> None:
    if not allowed(actor, INGEST):
        raise ProblemError("forbidden", detail="writing observations needs indicators.ingest")


def _ingest(
    db: Session,
    actor: Actor,
    rows: Sequence[ObservationIn],
    row_numbers: Sequence[int] | None,
    early: list[Issue],
    source: str,
    key: str | None,
    digest: str,
    locale: str,
    today: date | None,
) -> BatchOut:
    _require(actor)
    if len(rows) > MAX_ROWS:
        raise ProblemError("payload_too_large", detail=f"at most {MAX_ROWS} rows per request")
    bulk.lock(db)
    if key is not None:
        replay = _replay(db, key, digest)
        if replay is not None:
            return replay
    else:
        key = f"auto:{uuid.uuid4().hex}"
    resolution = resolve(
        db=db, actor=actor, rows=rows, row_numbers=row_numbers, today=today or units.today()
    )
    if early or resolution.issues:
        raise rejected([*early, *resolution.issues], locale)
    with db.begin_nested():
        return _write_batch(db, actor, resolution, source, key, digest, locale)


def _replay(db: Session, key: str, digest: str) -> BatchOut | None:
    batch = db.scalar(select(IngestionBatch).where(IngestionBatch.idempotency_key == key))
    if batch is None:
        return None
    if batch.request_digest != digest:
        raise ProblemError(
            "idempotency_conflict",
            detail=f"key {key!r} was used for batch {batch.id} with a different request",
        )
    return batch_out(batch, replayed=True)


def _write_batch(
    db: Session,
    actor: Actor,
    resolution: Resolution,
    source: str,
    key: str,
    digest: str,
    locale: str,
) -> BatchOut:
    rows = resolution.rows
    window_starts = {
        code: period.shift(-outliers.WINDOW).start for code, period in resolution.periods.items()
    }
    existing, history = _stored(db, rows, window_starts)
    inserts: list[Resolved] = []
    updates: list[tuple[Resolved, int]] = []  # row, new revision
    for row in rows:
        old = existing.get(row.key)
        if old is None:
            inserts.append(row)
        elif old[0] != row.value or old[1] != row.status:
            updates.append((row, old[2] + 1))
    written = [*inserts, *(row for row, _rev in updates)]
    points: list[outliers.Point] = [
        ((r.indicator_id, r.period_type, r.unit_id, r.disagg), r.period_start,
         window_starts[r.period], r.value)
        for r in written
    ]  # fmt: skip
    flagged = outliers.score_points(points, history)

    now = utcnow()
    label = actor.label
    batch_id = db.execute(
        insert(IngestionBatch)
        .values(
            idempotency_key=key,
            request_digest=digest,
            source=source,
            actor=label,
            created_at=now,
            rows=len(rows),
            inserted=len(inserts),
            updated=len(updates),
            unchanged=len(rows) - len(written),
            outliers=len(flagged),
            warnings=[],
        )
        .returning(IngestionBatch.id)
    ).scalar_one()
    revisions = [1] * len(inserts) + [revision for _row, revision in updates]

    def as_stored(i: int) -> bulk.ObsRow:
        row = written[i]
        score = flagged.get(i)
        return (
            *row.key,
            row.period,
            row.value,
            row.status,
            source,
            label,
            now,
            revisions[i],
            None if score is None else score.score,
            batch_id,
        )

    new_rows = sorted(as_stored(i) for i in range(len(inserts)))
    corrections = sorted(as_stored(i) for i in range(len(inserts), len(written)))
    bulk.write(
        db,
        inserts=new_rows,
        updates=corrections,
        replaced_at=now,
        replaced_by=label,
        batch_id=batch_id,
    )
    rollups.refresh(
        db,
        inserted=[(r[:5], r[6], r[7]) for r in new_rows],
        corrected=[r[:5] for r in corrections],
    )
    if new_rows or corrections:
        versions.bump(db)  # what queries answer changed (a batch of unchanged rows: nothing)
    codes = {info.id: info.code for info in resolution.indicators.values()}
    errors, rule_warnings = rules.check_rules(
        db=db,
        written=written,
        codes_by_id=_all_codes(db, codes),
        unit_codes=resolution.unit_codes,
        locale=locale,
    )
    if errors:
        raise rejected(errors, locale)
    warnings = _outlier_issues(written, flagged, codes, resolution) + rule_warnings
    shown = render_all(warnings[:MAX_WARNINGS], locale)
    if shown:
        db.execute(
            update(IngestionBatch).where(IngestionBatch.id == batch_id).values(warnings=shown)
        )
    counts = {
        "rows": len(rows),
        "inserted": len(inserts),
        "updated": len(updates),
        "unchanged": len(rows) - len(written),
        "outliers": len(flagged),
        "warnings": len(warnings),
        "source": source,
    }
    auth_service.record_event(
        db,
        actor=actor,
        action="ingest",
        table_name="observations",
        entity_id=str(batch_id),
        data=counts,
    )
    if written:
        # after the commit, live dashboards showing these indicators refresh themselves
        events.defer(
            db,
            OBSERVATIONS_WRITTEN,
            {
                "batch": batch_id,
                "indicators": sorted({codes[r.indicator_id] for r in written}),
                "periods": sorted({r.period for r in written})[:100],
                "rows": len(written),
                "source": source,
            },
        )
    return BatchOut(
        id=batch_id,
        idempotency_key=key,
        source=source,
        actor=label,
        created_at=now,
        rows=len(rows),
        inserted=len(inserts),
        updated=len(updates),
        unchanged=len(rows) - len(written),
        outliers=len(flagged),
        warnings=[RowIssue.model_validate(w) for w in shown],
    )


def _stored(
    db: Session, rows: Sequence[Resolved], window_starts: dict[str, date]
) -> tuple[dict[Key, tuple[float, str, int]], dict[outliers.SeriesKey, dict[date, float]]]:
    """What is stored for the rows' keys (value, status, revision) and the outlier history
    of their series, read in one range query per (indicator, period type)."""
    groups: dict[tuple[int, str], list[Resolved]] = defaultdict(list)
    for row in rows:
        groups[(row.indicator_id, row.period_type)].append(row)
    windows = [
        bulk.Window(
            indicator_id=indicator_id,
            period_type=period_type,
            first=min(window_starts[r.period] for r in members),
            last=max(r.period_start for r in members),
            unit_ids=frozenset(r.unit_id for r in members),
        )
        for (indicator_id, period_type), members in groups.items()
    ]
    keys = {row.key for row in rows}
    series = {(r.indicator_id, r.period_type, r.unit_id, r.disagg) for r in rows}
    existing: dict[Key, tuple[float, str, int]] = {}
    history: dict[outliers.SeriesKey, dict[date, float]] = defaultdict(dict)
    for ind, ptype, start, unit_id, disagg, value, status, revision in bulk.load_windows(
        db, windows
    ):
        key = (ind, ptype, start, unit_id, disagg)
        if key in keys:
            existing[key] = (value, status, revision)
        if (ind, ptype, unit_id, disagg) in series:
            history[(ind, ptype, unit_id, disagg)][start] = value
    return existing, history


def _all_codes(db: Session, known: dict[int, str]) -> dict[int, str]:
    """Indicator id → code for the rules check (which may name indicators not in the batch)."""
    codes = dict(known)
    for ident, code in db.execute(select(Indicator.id, Indicator.code)):
        codes.setdefault(ident, code)
    return codes


def _outlier_issues(
    written: Sequence[Resolved],
    flagged: dict[int, outliers.Score],
    codes: dict[int, str],
    resolution: Resolution,
) -> list[Issue]:
    issues: list[Issue] = []
    for index, score in sorted(flagged.items(), key=lambda item: written[item[0]].row):
        row = written[index]
        issues.append(
            Issue(
                "outlier",
                row=row.row,
                column="value",
                params={
                    "value": format(row.value, ".10g"),
                    "score": f"{score.score:.2f}",
                    "count": score.count,
                    "median": format(score.median, ".6g"),
                },
                indicator=codes.get(row.indicator_id),
                unit=resolution.unit_codes.get(row.unit_id),
                period=row.period,
                score=round(score.score, 4),
            )
        )
    return issues
