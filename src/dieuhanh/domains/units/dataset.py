"""Read and check the shipped administrative data, before anything touches the database.

The whole data set is parsed into plain rows first and every problem is collected (file,
row, column, message), so that a bad file is rejected as a whole with a useful report and
the loader writes either everything or nothing. Row numbers are file line numbers as a
spreadsheet shows them: the header is row 1, the first data row is row 2. For GeoJSON files
the row is the 1-based position of the feature.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.units.boundaries import GeometryRow, read_boundaries
from dieuhanh.domains.units.reference import (
    COMMUNE_AGENCY,
    CURRENT,
    LEGACY,
    NATION_CODE,
    PROVINCE_AGENCIES,
    lower_first,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# Bump when the derivation below changes (agencies, kinds, weights), so that an installed
# database reloads even though the data files did not change.
LOADER_VERSION = "units-loader-1"
MAX_ERRORS = 50

Key = tuple[str, str]  # (hierarchy, code)

CODE_PATTERNS = {
    "province": re.compile(r"^\d{2}$"),
    "district": re.compile(r"^\d{3}$"),
    "commune": re.compile(r"^\d{5}$"),
}
FILES = {
    "provinces_legacy": "admin_units/provinces_legacy.csv",
    "districts_legacy": "admin_units/districts_legacy.csv",
    "wards_legacy": "admin_units/wards_legacy.csv",
    "provinces_2025": "admin_units/provinces_2025.csv",
    "wards_2025": "admin_units/wards_2025.csv",
    "province_mapping": "admin_units/province_mapping_2025.csv",
    "ward_mapping": "admin_units/ward_mapping_2025.csv",
    "boundaries_legacy": "boundaries/vn_provinces_63_legacy.geojson",
    "boundaries_2025": "boundaries/vn_provinces_34_2025.geojson",
}


@dataclass(frozen=True)
class UnitRow:
    hierarchy: str
    code: str
    level: str
    type: str
    name: str
    short_name: str
    parent: str | None  # parent's code in the same hierarchy
    area_km2: float | None = None
    agency_kind: str | None = None


@dataclass(frozen=True)
class SuccessionRow:
    predecessor: Key
    successor: Key
    kind: str
    weight: float
    is_default: bool


@dataclass
class Dataset:
    units: list[UnitRow]  # parents always before their children
    successions: list[SuccessionRow]
    geometries: list[GeometryRow]
    checksum: str


def checksum(data_dir: Path, home_province: str) -> str:
    """SHA-256 of the loader version, the home province and every input file (no parsing)."""
    digest = hashlib.sha256(f"{LOADER_VERSION}\0{home_province}\0".encode())
    for rel in sorted(FILES.values()):
        path = data_dir / rel
        digest.update(rel.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


@dataclass
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        if len(self.items) >= MAX_ERRORS:
            self.dropped += 1
            return
        self.items.append({"file": file, "row": row, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        detail = f"{len(self.items) + self.dropped} problem(s) in the administrative data"
        raise ProblemError("import_failed", detail=detail, errors=self.items)


def _csv_rows(
    data_dir: Path, name: str, columns: tuple[str, ...], errors: _Errors
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, stripped values); report missing files and columns once."""
    rel = FILES[name]
    path = data_dir / rel
    if not path.exists():
        errors.add(rel, None, None, "file is missing")
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        for column in missing:
            errors.add(rel, 1, column, "column is missing from the header")
        if missing:
            return
        for raw in reader:
            values = {c: (raw.get(c) or "").strip() for c in columns}
            yield reader.line_num, values


class _Parser:
    """Builds a :class:`Dataset` while collecting every problem it meets."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.errors = _Errors()
        self.units: dict[Key, UnitRow] = {}
        self.provinces_of: dict[Key, str] = {}  # commune/district -> its province code

    # --- field checks -------------------------------------------------------------------

    def _code(self, file: str, row: int, column: str, value: str, level: str) -> bool:
        if CODE_PATTERNS[level].match(value):
            return True
        self.errors.add(file, row, column, f"{value!r} is not a {level} code")
        return False

    def _text(self, file: str, row: int, values: dict[str, str], *columns: str) -> bool:
        ok = True
        for column in columns:
            if not values[column]:
                self.errors.add(file, row, column, "value is empty")
                ok = False
        return ok

    def _add(self, file: str, row: int, unit: UnitRow) -> None:
        key = (unit.hierarchy, unit.code)
        if key in self.units:
            self.errors.add(file, row, None, f"code {unit.code} appears twice")
            return
        self.units[key] = unit

    def _known(self, file: str, row: int, column: str, key: Key) -> bool:
        if key in self.units:
            return True
        self.errors.add(file, row, column, f"unknown code {key[1]}")
        return False

    # --- units --------------------------------------------------------------------------

    def _unit(
        self,
        file: str,
        row: int,
        hierarchy: str,
        level: str,
        code: str,
        parent: str,
        v: dict[str, str],
        area_km2: float | None = None,
    ) -> None:
        unit = UnitRow(
            hierarchy=hierarchy,
            code=code,
            level=level,
            type=v["type"],
            name=v["name"],
            short_name=v["short_name"],
            parent=parent,
            area_km2=area_km2,
        )
        self._add(file, row, unit)
        if level in ("district", "commune"):
            province = parent if level == "district" or hierarchy == CURRENT else None
            self.provinces_of[(hierarchy, code)] = province or v["province_code"]

    def nation(self, hierarchy: str) -> None:
        self.units[(hierarchy, NATION_CODE)] = UnitRow(
            hierarchy=hierarchy,
            code=NATION_CODE,
            level="nation",
            type="Quốc gia",
            name="Cộng hòa xã hội chủ nghĩa Việt Nam",
            short_name="Việt Nam",
            parent=None,
        )

    def provinces(self, name: str, hierarchy: str) -> None:
        file = FILES[name]
        columns = ("province_code", "name", "short_name", "type")
        for row, v in _csv_rows(self.data_dir, name, columns, self.errors):
            ok = self._text(file, row, v, "name", "short_name", "type")
            ok = self._code(file, row, "province_code", v["province_code"], "province") and ok
            if ok:
                self._unit(file, row, hierarchy, "province", v["province_code"], NATION_CODE, v)

    def districts(self) -> None:
        file = FILES["districts_legacy"]
        columns = ("district_code", "name", "short_name", "type", "province_code")
        for row, v in _csv_rows(self.data_dir, "districts_legacy", columns, self.errors):
            ok = self._text(file, row, v, "name", "short_name", "type")
            ok = self._code(file, row, "district_code", v["district_code"], "district") and ok
            ok = self._known(file, row, "province_code", (LEGACY, v["province_code"])) and ok
            if ok:
                code, parent = v["district_code"], v["province_code"]
                self._unit(file, row, LEGACY, "district", code, parent, v)

    def legacy_wards(self) -> None:
        file = FILES["wards_legacy"]
        columns = ("ward_code", "name", "short_name", "type", "district_code", "province_code")
        for row, v in _csv_rows(self.data_dir, "wards_legacy", columns, self.errors):
            ok = self._text(file, row, v, "name", "short_name", "type")
            ok = self._code(file, row, "ward_code", v["ward_code"], "commune") and ok
            district = (LEGACY, v["district_code"])
            ok = self._known(file, row, "district_code", district) and ok
            if ok and self.provinces_of.get(district) != v["province_code"]:
                message = f"district {district[1]} is not in province {v['province_code']}"
                self.errors.add(file, row, "province_code", message)
                ok = False
            if ok:
                self._unit(file, row, LEGACY, "commune", v["ward_code"], district[1], v)

    def current_wards(self) -> None:
        file = FILES["wards_2025"]
        columns = ("ward_code", "name", "short_name", "type", "province_code", "area_km2")
        for row, v in _csv_rows(self.data_dir, "wards_2025", columns, self.errors):
            ok = self._text(file, row, v, "name", "short_name", "type")
            ok = self._code(file, row, "ward_code", v["ward_code"], "commune") and ok
            ok = self._known(file, row, "province_code", (CURRENT, v["province_code"])) and ok
            area_ok, area = self._area(file, row, v["area_km2"])
            if ok and area_ok:
                code, parent = v["ward_code"], v["province_code"]
                self._unit(file, row, CURRENT, "commune", code, parent, v, area_km2=area)

    def _area(self, file: str, row: int, value: str) -> tuple[bool, float | None]:
        """(valid, area): an empty cell is a valid unknown area; bad numbers are reported."""
        if not value:
            return True, None
        try:
            area = float(value.replace(",", "."))
        except ValueError:
            area = math.nan
        if not math.isfinite(area) or area < 0:
            self.errors.add(file, row, "area_km2", f"{value!r} is not an area in km²")
            return False, None
        return True, area

    def agencies(self, home_province: str) -> None:
        """Standard departments of every current province; a People's Committee for each
        commune of the home province only (a deployment serves one province; other
        provinces' commune committees would double the rows every search scans)."""
        current = [u for u in self.units.values() if u.hierarchy == CURRENT]
        for unit in current:
            if unit.level == "province":
                specs: tuple[Any, ...] = PROVINCE_AGENCIES
            elif unit.level == "commune" and unit.parent == home_province:
                specs = (COMMUNE_AGENCY,)
            else:
                continue
            words = {"admin": lower_first(unit.name), "admin_type": lower_first(unit.type)}
            for spec in specs:
                self.units[(CURRENT, f"{unit.code}.{spec.suffix}")] = UnitRow(
                    CURRENT,
                    f"{unit.code}.{spec.suffix}",
                    "agency",
                    spec.type,
                    spec.name.format(**words),
                    spec.short_name.format(**words),
                    unit.code,
                    agency_kind=spec.kind,
                )

    # --- successions --------------------------------------------------------------------

    def province_mapping(self) -> dict[str, str]:
        """Legacy province code -> current province code (whole provinces merged)."""
        file = FILES["province_mapping"]
        columns = ("old_province_code", "new_province_code")
        mapping: dict[str, str] = {}
        for row, v in _csv_rows(self.data_dir, "province_mapping", columns, self.errors):
            old, new = v["old_province_code"], v["new_province_code"]
            ok = self._known(file, row, "old_province_code", (LEGACY, old))
            ok = self._known(file, row, "new_province_code", (CURRENT, new)) and ok
            if ok and old in mapping:
                self.errors.add(file, row, "old_province_code", f"province {old} mapped twice")
            elif ok:
                mapping[old] = new
        self._require_all(file, mapping.keys(), LEGACY, "province", "has no successor")
        self._require_all(file, mapping.values(), CURRENT, "province", "has no predecessor")
        return mapping

    def _require_all(self, file: str, seen: Any, hierarchy: str, level: str, message: str) -> None:
        present = set(seen)
        for (h, code), unit in self.units.items():
            if h == hierarchy and unit.level == level and code not in present:
                self.errors.add(file, None, None, f"{level} {code} ({unit.name}) {message}")

    def ward_mapping(self, provinces: dict[str, str]) -> list[tuple[Key, Key, bool, bool]]:
        """(old unit, new commune, split flag, default flag) rows, checked for consistency."""
        file = FILES["ward_mapping"]
        columns = (
            "old_ward_code",
            "old_district_code",
            "old_province_code",
            "new_ward_code",
            "new_province_code",
            "old_ward_split",
            "is_default_target",
        )
        rows: list[tuple[Key, Key, bool, bool]] = []
        for row, v in _csv_rows(self.data_dir, "ward_mapping", columns, self.errors):
            flags = [self._flag(file, row, v, c) for c in ("old_ward_split", "is_default_target")]
            old = self._old_unit(file, row, v)
            new = (CURRENT, v["new_ward_code"])
            ok = self._known(file, row, "new_ward_code", new)
            if ok and self.provinces_of.get(new) != v["new_province_code"]:
                self.errors.add(
                    file,
                    row,
                    "new_province_code",
                    f"commune {new[1]} is not in province {v['new_province_code']}",
                )
                ok = False
            expected = provinces.get(v["old_province_code"])
            if ok and old is not None and expected != v["new_province_code"]:
                self.errors.add(
                    file,
                    row,
                    "new_province_code",
                    f"province {v['old_province_code']} became {expected}, "
                    f"not {v['new_province_code']}",
                )
                ok = False
            if ok and old is not None and None not in flags:
                rows.append((old, new, flags[0] is True, flags[1] is True))
        self._check_targets(file, rows)
        return rows

    def _flag(self, file: str, row: int, values: dict[str, str], column: str) -> bool | None:
        if values[column] in ("0", "1"):
            return values[column] == "1"
        self.errors.add(file, row, column, f"{values[column]!r} is not 0 or 1")
        return None

    def _old_unit(self, file: str, row: int, v: dict[str, str]) -> Key | None:
        """The legacy commune, or the island district when the commune code is empty."""
        district = (LEGACY, v["old_district_code"])
        if not v["old_ward_code"]:
            if not self._known(file, row, "old_district_code", district):
                return None
            return district
        ward = (LEGACY, v["old_ward_code"])
        if not self._known(file, row, "old_ward_code", ward):
            return None
        if self.units[ward].parent != v["old_district_code"]:
            self.errors.add(
                file,
                row,
                "old_district_code",
                f"commune {ward[1]} is not in district {v['old_district_code']}",
            )
            return None
        if self.provinces_of.get(ward) != v["old_province_code"]:
            self.errors.add(
                file,
                row,
                "old_province_code",
                f"commune {ward[1]} is not in province {v['old_province_code']}",
            )
            return None
        return ward

    def _check_targets(self, file: str, rows: list[tuple[Key, Key, bool, bool]]) -> None:
        targets: dict[Key, list[tuple[Key, bool, bool]]] = defaultdict(list)
        for old, new, split, default in rows:
            targets[old].append((new, split, default))
        for old, items in targets.items():
            defaults = sum(1 for _n, _s, d in items if d)
            if defaults != 1:
                self.errors.add(
                    file,
                    None,
                    "is_default_target",
                    f"{old[1]} has {defaults} default targets instead of 1",
                )
            if (len(items) > 1) != any(s for _n, s, _d in items):
                self.errors.add(
                    file,
                    None,
                    "old_ward_split",
                    f"{old[1]} has {len(items)} target(s) but split flag "
                    f"{int(any(s for _n, s, _d in items))}",
                )
            if len({n for n, _s, _d in items}) != len(items):
                self.errors.add(file, None, "new_ward_code", f"{old[1]} maps twice to a commune")
        with_children = {
            u.parent for u in self.units.values() if u.hierarchy == LEGACY and u.level == "commune"
        }
        for key, unit in self.units.items():
            if key[0] != LEGACY or key in targets:
                continue
            if unit.level == "commune" or (
                unit.level == "district" and key[1] not in with_children
            ):
                self.errors.add(
                    file, None, None, f"{unit.level} {key[1]} ({unit.name}) has no successor"
                )

    def successions(
        self, provinces: dict[str, str], wards: list[tuple[Key, Key, bool, bool]]
    ) -> list[SuccessionRow]:
        """Nation, province, district → province, and commune successions with weights."""
        result = [
            SuccessionRow((LEGACY, NATION_CODE), (CURRENT, NATION_CODE), "continued", 1.0, True)
        ]
        merged_into = Counter(provinces.values())
        for before, after in sorted(provinces.items()):
            one = (LEGACY, before), (CURRENT, after)
            kind = "merged" if merged_into[after] > 1 else self._same_or_renamed(*one)
            result.append(SuccessionRow(*one, kind, 1.0, True))
        for key, unit in self.units.items():
            if key[0] == LEGACY and unit.level == "district" and unit.parent in provinces:
                new_province = (CURRENT, provinces[unit.parent])
                result.append(SuccessionRow(key, new_province, "absorbed", 1.0, True))
        shares = Counter(old for old, _new, _s, _d in wards)
        predecessors = Counter(new for _old, new, _s, _d in wards)
        for old, new, _split, default in wards:
            if self.units[old].level == "district":
                kind = "converted"
            elif shares[old] > 1:
                kind = "split"
            elif predecessors[new] > 1:
                kind = "merged"
            else:
                kind = self._same_or_renamed(old, new)
            result.append(SuccessionRow(old, new, kind, 1.0 / shares[old], default))
        return result

    def _same_or_renamed(self, old: Key, new: Key) -> str:
        before, after = self.units[old], self.units[new]
        same = before.code == after.code and before.name == after.name
        return "continued" if same else "renamed"


def read_dataset(data_dir: Path, home_province: str) -> Dataset:
    """Parse and check every file; raise ``import_failed`` listing the problems, if any."""
    parser = _Parser(data_dir)
    for hierarchy in (LEGACY, CURRENT):
        parser.nation(hierarchy)
    parser.provinces("provinces_legacy", LEGACY)
    parser.provinces("provinces_2025", CURRENT)
    parser.districts()
    parser.legacy_wards()
    parser.current_wards()
    parser.errors.raise_if_any()  # the mappings below need complete unit tables
    provinces = parser.province_mapping()
    wards = parser.ward_mapping(provinces)
    geometries: list[GeometryRow] = []
    for name, hierarchy in (("boundaries_legacy", LEGACY), ("boundaries_2025", CURRENT)):
        provinces_of_version = {
            code for (h, code), unit in parser.units.items()
            if h == hierarchy and unit.level == "province"
        }  # fmt: skip
        geometries += read_boundaries(
            data_dir, FILES[name], hierarchy, provinces_of_version, parser.errors.add
        )
    parser.errors.raise_if_any()
    successions = parser.successions(provinces, wards)
    parser.agencies(home_province)
    order = {"nation": 0, "province": 1, "district": 2, "commune": 3, "agency": 4}
    units = sorted(
        parser.units.values(),
        key=lambda u: (u.hierarchy != LEGACY, order[u.level], u.parent or "", u.code),
    )
    return Dataset(units, successions, geometries, checksum(data_dir, home_province))
