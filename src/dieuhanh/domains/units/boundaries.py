"""Read province outlines (GeoJSON) for the loader, checking every feature.

Kept apart from the CSV parsing in :mod:`.dataset`: a boundary file is one JSON document
whose "rows" are features (numbered from 1 in error reports).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ErrorSink = Callable[[str, int | None, str | None, str], None]  # file, row, column, message


@dataclass(frozen=True)
class GeometryRow:
    unit: tuple[str, str]  # (hierarchy, province code)
    geojson: str
    bbox: tuple[float, float, float, float]
    source: str


def read_boundaries(
    data_dir: Path, rel: str, hierarchy: str, provinces: set[str], error: ErrorSink
) -> list[GeometryRow]:
    """One outline per province of ``hierarchy``, matched on ``properties.province_code``."""
    try:
        collection = json.loads((data_dir / rel).read_text(encoding="utf-8"))
        features = collection["features"]
        if not isinstance(features, list):
            raise TypeError("features is not a list")
    except FileNotFoundError:
        error(rel, None, None, "file is missing")
        return []
    except (ValueError, KeyError, TypeError) as exc:
        error(rel, None, None, f"not a GeoJSON FeatureCollection: {exc}")
        return []
    rows: list[GeometryRow] = []
    seen: set[str] = set()
    for index, feature in enumerate(features, start=1):
        props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        code = str(props.get("province_code") or "")
        if code not in provinces:
            message = f"{code!r} is not a province of {hierarchy}"
            error(rel, index, "properties.province_code", message)
            continue
        if code in seen:
            error(rel, index, "properties.province_code", f"{code} appears twice")
            continue
        seen.add(code)
        geometry = feature.get("geometry")
        bbox = bounding_box(geometry)
        if bbox is None:
            error(rel, index, "geometry", "not a valid Polygon or MultiPolygon")
            continue
        text = json.dumps(geometry, ensure_ascii=False, separators=(",", ":"))
        rows.append(GeometryRow((hierarchy, code), text, bbox, rel))
    for code in sorted(provinces - seen):
        error(rel, None, "properties.province_code", f"province {code} has no outline")
    return rows


def bounding_box(geometry: Any) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a (Multi)Polygon; None when malformed."""
    if not isinstance(geometry, dict):
        return None
    coords = geometry.get("coordinates")
    kind = geometry.get("type")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if not isinstance(polygons, list) or not polygons:
        return None
    xs: list[float] = []
    ys: list[float] = []
    try:
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4:
                    return None
                for x, y, *_rest in ring:
                    xs.append(float(x))
                    ys.append(float(y))
    except (TypeError, ValueError):
        return None
    if not (all(-180 <= x <= 180 for x in xs) and all(-90 <= y <= 90 for y in ys)):
        return None
    return min(xs), min(ys), max(xs), max(ys)
