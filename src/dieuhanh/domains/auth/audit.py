"""The append-only, hash-chained audit log.

Domains never call this module to be audited: :func:`install_audit` registers an
``after_flush`` listener on an application's session factories, and every insert, update and
delete flushed by a session whose ``info["actor"]`` is an authenticated actor (a person, an
API key or a named system actor) becomes an entry. ``after_flush`` rather than
``before_flush`` because new rows have their primary keys by then, while the session still
shows the pre-flush ``new``/``dirty``/``deleted`` sets and attribute histories.

Each entry stores ``prev_hash`` and ``hash = sha256(canonical JSON of its fields +
prev_hash)``; ids are assigned here, gap-free, under a lock (``pg_advisory_xact_lock`` on
PostgreSQL; SQLite write transactions are already serialised), so an edited, removed or
inserted entry breaks the chain and :func:`verify_audit_chain` finds the first such entry.
Someone who can write the database can still rewrite the whole chain from the broken entry
on; publishing the head hash (``dieuhanh audit verify`` prints it) elsewhere detects that.

Not audited, on purpose: ``audit_log`` itself; ``user_sessions`` and ``login_attempts``,
which change on every sign-in and are volatile security state (sign-ins and sign-outs are
recorded as explicit ``login``/``login_failed``/``logout`` events instead); and bulk
``UPDATE``/``DELETE`` statements, which bypass the unit of work (services acting for a person
change rows through the ORM).
"""

from __future__ import annotations

import hashlib
import json
import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, event, func, insert, inspect, or_, select, text
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker
from sqlalchemy.orm.state import InstanceState

from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import Page
from dieuhanh.core.security import Actor, allowed
from dieuhanh.domains.auth.models import AuditEntry
from dieuhanh.domains.auth.schemas import AuditEntryOut
from dieuhanh.domains.units import service as units_service

GENESIS = "0" * 64
EXCLUDED_TABLES = frozenset({"audit_log", "user_sessions", "login_attempts"})
REDACTED_COLUMNS = frozenset({"password_hash", "digest", "token_digest", "csrf_token"})
REDACTED = "[redacted]"
HASHED_FIELDS = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "actor_scope_unit_id",
    "ip",
    "action",
    "table_name",
    "entity_id",
    "before",
    "after",
)
# pg_advisory_xact_lock key serialising audit writers ("dhaudit" in ASCII).
_PG_LOCK_KEY = 0x64_68_61_75_64_69_74


@dataclass(frozen=True)
class Change:
    """One thing to record, before it gets its place in the chain."""

    action: str
    table_name: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    scope_unit_id: int | None = None  # defaults to the actor's scope


@dataclass(frozen=True)
class AuditVerification:
    """Outcome of :func:`verify_audit_chain`; ``broken_at`` is the first bad entry's id."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""
    head: str = GENESIS


# --- recording -------------------------------------------------------------------------------


# Factories already hooked. Not ``event.contains``: SQLAlchemy's registry is keyed by id(),
# and a new factory can reuse the address of a collected one and look hooked when it is not.
_INSTALLED: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def install_audit(database: Database) -> None:
    """Audit every session the application opens on ``database`` (idempotent)."""
    for factory in database.session_factories:
        if factory not in _INSTALLED:
            event.listen(factory, "after_flush", _after_flush)
            _INSTALLED.add(factory)


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    actor = session.info.get("actor")
    if not isinstance(actor, Actor) or not actor.is_authenticated:
        return
    changes = [
        *(_row_change("insert", obj) for obj in session.new),
        *(_row_change("update", obj) for obj in session.dirty),
        *(_row_change("delete", obj) for obj in session.deleted),
    ]
    kept = sorted(
        (c for c in changes if c is not None),
        key=lambda c: (c.table_name, c.action, c.entity_id or ""),
    )
    if kept:
        append(session.connection(), actor, kept)


def _row_change(action: str, obj: object) -> Change | None:
    state: InstanceState[Any] = inspect(obj)
    mapper = state.mapper
    table_name = str(getattr(mapper.local_table, "name", ""))
    if not table_name or table_name in EXCLUDED_TABLES:
        return None
    keys = [attr.key for attr in mapper.column_attrs]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    if action == "insert":
        after = {k: _value(k, state.dict[k]) for k in keys if k in state.dict}
    elif action == "delete":
        before = {k: _value(k, state.dict[k]) for k in keys if k in state.dict}
    else:
        before, after = {}, {}
        for key in keys:
            history = state.attrs[key].history
            if not history.added and not history.deleted:
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
            before[key] = _value(key, old)
            after[key] = _value(key, new)
        if not after:
            return None
    identity = mapper.primary_key_from_instance(obj)
    entity_id = str(identity[0]) if len(identity) == 1 else json.dumps(_jsonable(identity))
    return Change(action, table_name, entity_id, before, after)


def _value(key: str, value: Any) -> Any:
    if key in REDACTED_COLUMNS and value is not None:
        return REDACTED
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    """Make a column value JSON-native so that it hashes identically after a round trip."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Decimal | timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def record_event(
    db: Session,
    *,
    actor: Actor,
    action: str,
    table_name: str,
    entity_id: str | None,
    data: dict[str, Any] | None = None,
    scope_unit_id: int | None = None,
) -> None:
    """Record something that is not a row change (sign-in, sign-out), whoever the actor is."""
    change = Change(action, table_name, entity_id, None, _jsonable(data), scope_unit_id)
    append(db.connection(), actor, [change])


def append(conn: Connection, actor: Actor, changes: Iterable[Change]) -> None:
    """Chain ``changes`` after the last entry, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = conn.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    next_id, prev_hash = (last.id + 1, last.hash) if last is not None else (1, GENESIS)
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for change in changes:
        row: dict[str, Any] = {
            "id": next_id,
            "at": at,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "actor_scope_unit_id": (
                change.scope_unit_id if change.scope_unit_id is not None else actor.scope_unit_id
            ),
            "ip": actor.ip,
            "action": change.action,
            "table_name": change.table_name,
            "entity_id": change.entity_id,
            "before": change.before,
            "after": change.after,
            "prev_hash": prev_hash,
        }
        row["hash"] = entry_hash(row)
        rows.append(row)
        next_id, prev_hash = next_id + 1, row["hash"]
    conn.execute(insert(AuditEntry), rows)


def entry_hash(fields: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of an entry's fields followed by the previous hash."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    at: datetime = payload["at"]
    payload["at"] = at.astimezone(UTC).isoformat()
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256((canonical + fields["prev_hash"]).encode("utf-8")).hexdigest()


# --- checking and reading --------------------------------------------------------------------


def verify_audit_chain(*, db: Session) -> AuditVerification:
    """Recompute every hash in order; report the first entry that was edited, removed or added.

    Ids are gap-free by construction, so a missing id means a removed entry even if the
    remover re-linked its neighbours.
    """
    expected_id, prev_hash, checked = 1, GENESIS, 0
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    for entry in rows:
        if entry.id != expected_id:
            return _broken(checked, entry.id, f"entry {expected_id} is missing", prev_hash)
        if entry.prev_hash != prev_hash:
            reason = "prev_hash does not match the previous entry"
            return _broken(checked, entry.id, reason, prev_hash)
        fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
        fields["prev_hash"] = entry.prev_hash
        if entry_hash(fields) != entry.hash:
            return _broken(checked, entry.id, "content does not match its hash", prev_hash)
        expected_id, prev_hash, checked = expected_id + 1, entry.hash, checked + 1
    return AuditVerification(ok=True, checked=checked, head=prev_hash)


def _broken(checked: int, entry_id: int, reason: str, head: str) -> AuditVerification:
    return AuditVerification(
        ok=False, checked=checked, broken_at=entry_id, reason=reason, head=head
    )


def list_audit(
    *,
    db: Session,
    actor: Actor,
    limit: int = 50,
    offset: int = 0,
    actor_name: str | None = None,
    table_name: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntryOut]:
    """Entries newest first; a scoped admin sees what actors of their subtree did."""
    if not allowed(actor, "audit.read"):
        raise ProblemError("forbidden")
    query = select(AuditEntry)
    if actor.scope_unit_id is not None:
        subtree = units_service.subtree_ids_select(actor.scope_unit_id)
        query = query.where(
            or_(
                AuditEntry.actor_scope_unit_id == actor.scope_unit_id,
                AuditEntry.actor_scope_unit_id.in_(subtree),
            )
        )
    if actor_name:
        query = query.where(AuditEntry.actor_name == actor_name)
    if table_name:
        query = query.where(AuditEntry.table_name == table_name)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    items = [AuditEntryOut.from_entry(e) for e in entries]
    return Page[AuditEntryOut](items=items, total=total, limit=limit, offset=offset)
