"""Who the demo reports for: the home province on both maps, its communes and their people.

**Population seed.** The GSO average population of 2020 of each legacy province
(``data/stats/gso_avg_population_2020_by_province_legacy.csv``: Đà Nẵng 1,169.5 and Quảng
Nam 1,505.0 thousand) is spread over its legacy communes. The sources give no commune
population and legacy communes carry no area, so each commune gets a share proportional to a
weight by type — phường 1.6, thị trấn 1.2, xã 0.8 — times a log-normal factor (σ = 0.35,
seeded by the commune code), normalised so the communes add up to the province's figure
exactly. A 2025 commune's population is then the sum of its predecessors' populations times
the succession weights (a split commune's parts get 1/n each, as the units loader records),
so the post-reform communes add up to the same people and the re-mapped series are
continuous. Each commune grows at its province's rate (1.5 % a year for a city, 0.6 % for a
province) plus a small seeded jitter.

Households are population over a household size near 3.4 (city) or 3.7 (province); the
multidimensional poverty rate starts near 0.6 % in city wards and 1.8 % in city communes,
1.5 % in provincial towns and a log-normal 6 % (up to 45 % in mountain communes) in
provincial communes, and falls by 12 % a year.

A 2025 commune with no commune among its predecessors (the special zone Hoàng Sa, formerly
a district without communes) has no residents: it reports a population of 0 and no poverty
rate (a rate of nobody is undefined, not zero).
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.service import CURRENT, LEGACY, UnitOut

STATS_DIR = Path(__file__).resolve().parents[2] / "data" / "stats"
POPULATION_FILE = STATS_DIR / "gso_avg_population_2020_by_province_legacy.csv"
TYPE_WEIGHTS = {"Phường": 1.6, "Thị trấn": 1.2, "Xã": 0.8}
URBAN_TYPES = frozenset({"Phường", "Thị trấn"})
MAX_UNITS = 100_000
FEMALE_SHARE = 0.506


def province_kind(unit: UnitOut) -> str:
    """``city`` for a centrally-run city (Thành phố), else ``province``."""
    return "city" if unit.type == "Thành phố" else "province"


def read_population_2020(path: Path = POPULATION_FILE) -> dict[str, float]:
    """Legacy province code → average population of 2020 in persons."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            row["province_code"]: float(row["avg_population_2020_thousand"]) * 1000
            for row in csv.DictReader(fh)
        }


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (seed, *parts)))  # noqa: S311 - demo data


@dataclass(frozen=True)
class LegacyCommune:
    unit: UnitOut
    province: str  # legacy province code
    kind: str  # of its province: city | province
    population_2020: float
    growth: float
    household_size: float
    poverty_2021: float

    def population(self, year: int) -> float:
        return self.population_2020 * (1 + self.growth) ** (year - 2020)

    def households(self, year: int) -> float:
        return self.population(year) / self.household_size

    def poverty(self, year: int, seed: int) -> float:
        wobble = _rng(seed, self.unit.code, "poverty", year).gauss(0, 0.05)
        return min(self.poverty_2021 * 0.88 ** (year - 2021) * (1 + wobble), 60.0)


@dataclass(frozen=True)
class CurrentCommune:
    unit: UnitOut
    parts: tuple[tuple[LegacyCommune, float], ...]  # predecessor and its weight

    @property
    def urban(self) -> bool:
        return self.unit.type in URBAN_TYPES

    def population(self, year: int) -> float:
        return math.fsum(c.population(year) * w for c, w in self.parts)

    def households(self, year: int) -> float:
        return math.fsum(c.households(year) * w for c, w in self.parts)

    def poverty(self, year: int, seed: int) -> float | None:
        """Household-weighted rate of its predecessors; ``None`` when nobody lives there."""
        weights = [(c.households(year) * w, c.poverty(year, seed)) for c, w in self.parts]
        total = math.fsum(h for h, _rate in weights)
        if total <= 0:
            return None
        wobble = _rng(seed, "2025", self.unit.code, "poverty", year).gauss(0, 0.03)
        return math.fsum(h * r for h, r in weights) / total * (1 + wobble)


@dataclass
class HomeUnits:
    """The home province on both maps (legacy provinces sorted by code) and its communes."""

    current: UnitOut
    legacy: list[UnitOut]
    population_2020: dict[str, float]  # legacy province code → persons
    legacy_communes: list[LegacyCommune] = field(default_factory=list)
    current_communes: list[CurrentCommune] = field(default_factory=list)

    def kind(self, legacy_code: str) -> str:
        unit = next(u for u in self.legacy if u.code == legacy_code)
        return province_kind(unit)


def _poverty_base(kind: str, commune_type: str, rng: random.Random) -> float:
    urban = commune_type in URBAN_TYPES
    if kind == "city":
        base = 0.6 if urban else 1.8
        return base * math.exp(rng.gauss(0, 0.3))
    if urban:
        return 1.5 * math.exp(rng.gauss(0, 0.3))
    return min(6.0 * math.exp(rng.gauss(0, 0.7)), 45.0)


def _legacy_communes(
    db: Session, province: UnitOut, people: float, seed: int
) -> list[LegacyCommune]:
    communes, _total = units.search_units(
        db=db, level="commune", hierarchy=LEGACY, scope_unit_id=province.id, limit=MAX_UNITS
    )
    communes.sort(key=lambda u: u.code)
    kind = province_kind(province)
    growth = 0.015 if kind == "city" else 0.006
    weights = []
    for unit in communes:
        rng = _rng(seed, "legacy", unit.code, "size")
        weights.append(TYPE_WEIGHTS.get(unit.type, 1.0) * math.exp(rng.gauss(0, 0.35)))
    total = math.fsum(weights)
    out = []
    for unit, weight in zip(communes, weights, strict=True):
        rng = _rng(seed, "legacy", unit.code, "traits")
        size = (3.4 if kind == "city" else 3.7) * (1 + rng.gauss(0, 0.03))
        out.append(
            LegacyCommune(
                unit=unit,
                province=province.code,
                kind=kind,
                population_2020=people * weight / total,
                growth=growth + rng.gauss(0, 0.004),
                household_size=size,
                poverty_2021=_poverty_base(kind, unit.type, rng),
            )
        )
    return out


def load_home_units(*, db: Session, home_province: str, seed: int) -> HomeUnits:
    """The home province (2025 map), the legacy provinces it was formed from, and every
    commune of both maps with its seeded population (see the module notes)."""
    current = units.get_unit(db=db, code=home_province, hierarchy=CURRENT)
    legacy = sorted(
        (
            s.unit
            for s in units.predecessors(db=db, unit_id=current.id)
            if s.unit.level == "province"
        ),
        key=lambda u: u.code,
    )
    population = read_population_2020()
    missing = [u.code for u in legacy if u.code not in population]
    if not legacy or missing:
        raise LookupError(
            f"no 2020 population for the legacy provinces of {home_province}: "
            f"{', '.join(missing) or 'none found'}"
        )
    home = HomeUnits(current=current, legacy=legacy, population_2020=population)
    by_id: dict[int, LegacyCommune] = {}
    for province in legacy:
        for commune in _legacy_communes(db, province, population[province.code], seed):
            home.legacy_communes.append(commune)
            by_id[commune.unit.id] = commune
    communes, _total = units.search_units(
        db=db, level="commune", hierarchy=CURRENT, parent=current.code, limit=MAX_UNITS
    )
    for unit in sorted(communes, key=lambda u: u.code):
        parts = tuple(
            (by_id[s.unit.id], s.weight)
            for s in units.predecessors(db=db, unit_id=unit.id)
            if s.unit.id in by_id
        )
        home.current_communes.append(CurrentCommune(unit=unit, parts=parts))
    return home
