"""Which unit a place is in: by point in polygon where outlines exist, else by the names in
an address. Citizen reports, vessels and sensors are placed this way.

Outlines are read once per database and kept with an STRtree over their bounding boxes; a
point is then tested with prepared ``contains_xy`` against the few candidates only (the
architecture's rule: never ``query(..., predicate=...)`` against detailed borders). The
deepest unit whose outline contains the point wins, so commune outlines, where a province
loads them, take precedence over the province's.

An address names its commune the way people write it (``phường Hải Vân``, ``P. Hải Vân``,
``xã Hòa Vang``…): the folded address is searched for the folded names of the communes
inside the given parent, longest name first, so ``Hòa Khánh Bắc`` is not taken for
``Hòa Khánh``.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry import shape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dieuhanh.core.text import fold
from dieuhanh.domains.units.models import Unit, UnitClosure, UnitGeometry
from dieuhanh.domains.units.queries import _out, _select_units
from dieuhanh.domains.units.reference import CURRENT
from dieuhanh.domains.units.schemas import UnitOut

# the words in front of a commune's name in its official name and in addresses
PREFIXES = ("phuong ", "xa ", "thi tran ", "dac khu ", "p. ", "x. ", "tt. ")


@dataclass(frozen=True)
class _Outlines:
    """The outlines of one hierarchy, as loaded (``stamp`` tells when they changed)."""

    stamp: tuple[int, int]
    tree: STRtree
    unit_ids: tuple[int, ...]
    ranks: tuple[int, ...]
    shapes: tuple[Any, ...]


_CACHE: weakref.WeakKeyDictionary[Engine, dict[str, _Outlines]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _stamp(db: Session, hierarchy: str) -> tuple[int, int]:
    row = db.execute(
        select(func.count(), func.coalesce(func.sum(UnitGeometry.unit_id), 0))
        .join(Unit, Unit.id == UnitGeometry.unit_id)
        .where(Unit.hierarchy == hierarchy)
    ).one()
    return int(row[0]), int(row[1])


def _outlines(db: Session, hierarchy: str) -> _Outlines:
    engine = db.get_bind().engine
    stamp = _stamp(db, hierarchy)
    with _LOCK:
        kept = _CACHE.get(engine, {}).get(hierarchy)
    if kept is not None and kept.stamp == stamp:
        return kept
    rows = db.execute(
        select(Unit.id, Unit.level_rank, UnitGeometry.geojson)
        .join(UnitGeometry, UnitGeometry.unit_id == Unit.id)
        .where(Unit.hierarchy == hierarchy)
        .order_by(Unit.id)
    ).all()
    shapes = tuple(shape(json.loads(geojson)) for _, _, geojson in rows)
    for geometry in shapes:
        shapely.prepare(geometry)
    built = _Outlines(
        stamp,
        STRtree(list(shapes)),
        tuple(int(r[0]) for r in rows),
        tuple(int(r[1]) for r in rows),
        shapes,
    )
    with _LOCK:
        _CACHE.setdefault(engine, {})[hierarchy] = built
    return built


def locate_point(
    *, db: Session, latitude: float, longitude: float, hierarchy: str = CURRENT
) -> UnitOut | None:
    """The deepest unit of ``hierarchy`` whose outline holds the point, or None."""
    outlines = _outlines(db, hierarchy)
    if not outlines.unit_ids:
        return None
    best: tuple[int, int] | None = None  # (rank, unit id)
    for index in outlines.tree.query(shapely.points(longitude, latitude)):
        n = int(index)
        if shapely.contains_xy(outlines.shapes[n], longitude, latitude):
            candidate = (outlines.ranks[n], outlines.unit_ids[n])
            if best is None or candidate > best:
                best = candidate
    if best is None:
        return None
    row = db.execute(_select_units().where(Unit.id == best[1])).first()
    return _out(row) if row is not None else None


def _bare(name: str) -> str:
    folded = fold(name)
    for prefix in PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :].strip()
    return folded


def match_address(*, db: Session, address: str, within_unit_id: int) -> UnitOut | None:
    """The commune (or other unit) inside ``within_unit_id`` named in ``address``, or None
    when none or several equally long names match."""
    text = _words(fold(address))
    if not text.strip():
        return None
    rows = db.execute(
        _select_units()
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == within_unit_id, Unit.id != within_unit_id)
        .where(Unit.agency_kind.is_(None))
    ).all()
    found: list[tuple[int, Any]] = []
    for row in rows:
        unit = _out(row)
        bare = _bare(unit.name)
        if len(bare) >= 2 and f" {bare} " in text:
            found.append((len(bare), unit))
    if not found:
        return None
    found.sort(key=lambda item: -item[0])
    if len(found) > 1 and found[0][0] == found[1][0]:
        return None  # two places of the same name: the address does not say which
    unit_out: UnitOut = found[0][1]
    return unit_out


def _words(text: str) -> str:
    """Punctuation as spaces, so ``P.Hải Vân,`` still reads `` hai van ``."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return f" {' '.join(cleaned.split())} "
