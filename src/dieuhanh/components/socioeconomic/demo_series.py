"""The numbers of the socio-economic demo: monthly series of one province, from pure arithmetic.

Nothing here touches the database, so the shape of the demo data (magnitudes, seasons, Tết,
noise, trends) can be read and tested on its own; :mod:`.demo` turns these series into
observations of the pack's indicators and writes them.

**Model.** Every quantity is an *extensive* monthly series (an amount that adds up across
provinces: billion đồng, visits, persons, a price level multiplied by the population), so the
series of a merged province is just the sum of its legacy provinces' series and every ratio
(CPI, IIP, growth, disbursement rate, unemployment rate) is computed *after* summing. That is
what makes the merged Đà Nẵng continuous across 1 July 2025 without any special case.

A flow of month ``m`` is ``base × population × trend × season × Tết × noise``:

* ``base`` is an annual value per 1,000 inhabitants in 2021, different for a centrally-run
  city (``Thành phố``: Đà Nẵng) and a province (``Tỉnh``: Quảng Nam), chosen so that the two
  land near their published orders of magnitude (Đà Nẵng: GRDP ≈ 110,000 billion đồng, budget
  revenue ≈ 18,000 billion, 7–10 million visits a year; Quảng Nam: budget revenue ≈ 22,000
  billion). They are demo values, not statistics;
* ``trend`` is a yearly growth compounded monthly; ``season`` a month-of-year profile
  (tourism peaks in June–August and falls in the October–November rains; revenue peaks in
  December–January);
* **Tết** moves with the lunar calendar (the ``Tết Nguyên Đán`` day of ``holidays``): shopping
  rises in the month before and the month of Tết, factories, exports, new enterprises and
  placements dip in the month of Tết and catch up the month after, prices rise by 0.8 %;
* ``noise`` is Gaussian (log-normal for FDI, which comes in lumps), drawn from a generator
  seeded by (seed, province, series), so a value depends only on the seed and its month —
  never on how far the demo runs.

There is deliberately no COVID-19 shock in 2021: the outlier detector compares a value with
its own last 24 months, and a collapse and recovery would flag dozens of true values,
drowning the anomalies the demo injects on purpose.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from holidays import country_holidays

from dieuhanh.core.periods import Period, PeriodType

FIRST_YEAR = 2020  # one year before the data, for year-on-year indices
START = FIRST_YEAR * 12  # month index of January 2020

# Annual growth of real GRDP by year (a slow 2021, then the long recovery), shared by both
# kinds of province; each province gets its own small offset.
REAL_GROWTH = {2020: 0.02, 2021: 0.065, 2022: 0.075, 2023: 0.065, 2024: 0.075, 2025: 0.085}
REAL_GROWTH_LATER = 0.09
INFLATION = {2020: 0.030, 2021: 0.026, 2022: 0.031, 2023: 0.033, 2024: 0.035, 2025: 0.034}
INFLATION_LATER = 0.035
DEFLATOR_GROWTH = 0.035

# Annual value per 1,000 inhabitants in 2021, by kind of province ("city", "province").
BASES: dict[str, dict[str, float]] = {
    "city": {
        "grdp_real": 92.0,  # billion đồng at 2020 prices
        "iip": 30.0,  # industrial output, billion đồng (only its ratios are shown)
        "retail": 70.0,  # billion đồng
        "export": 1.45,  # million USD
        "import": 1.15,
        "tourists": 5200.0,  # visits
        "intl_share": 0.30,  # of visits
        "fdi": 0.20,  # million USD
        "new_ent": 2.0,  # enterprises
        "budget_rev": 15.5,  # billion đồng
        "budget_exp": 16.5,
        "pi_plan": 6.8,
        "new_jobs": 28.0,  # persons
        "labour_ratio": 0.56,  # of the population
        "unemployment": 0.032,
        "pop_growth": 0.015,
    },
    "province": {
        "grdp_real": 66.0,
        "iip": 40.0,
        "retail": 28.0,
        "export": 1.1,
        "import": 0.85,
        "tourists": 3600.0,
        "intl_share": 0.42,
        "fdi": 0.14,
        "new_ent": 0.6,
        "budget_rev": 14.5,
        "budget_exp": 17.0,
        "pi_plan": 4.8,
        "new_jobs": 19.0,
        "labour_ratio": 0.60,
        "unemployment": 0.022,
        "pop_growth": 0.006,
    },
}

# Yearly growth of each flow on top of population growth.
TRENDS: dict[str, float] = {
    "retail": 0.10,
    "export": 0.09,
    "import": 0.08,
    "tourists": 0.12,
    "fdi": 0.05,
    "new_ent": 0.06,
    "budget_rev": 0.07,
    "budget_exp": 0.07,
    "pi_plan": 0.08,
    "new_jobs": 0.02,
}

_FLAT = (1.0,) * 12
SEASONS: dict[str, tuple[float, ...]] = {
    "grdp_real": (0.92, 0.92, 0.92, 0.98, 0.98, 0.98, 1.02, 1.02, 1.02, 1.08, 1.08, 1.08),
    "iip": _FLAT,
    "retail": (1.00, 0.98, 0.96, 0.97, 0.98, 1.01, 1.04, 1.03, 0.98, 0.99, 1.00, 1.06),
    "export": (0.98, 0.94, 1.00, 1.00, 1.01, 1.02, 1.02, 1.03, 1.01, 1.00, 1.00, 1.04),
    "import": (0.98, 0.94, 1.00, 1.00, 1.01, 1.02, 1.02, 1.03, 1.01, 1.00, 1.00, 1.04),
    "tourists": (0.80, 0.85, 0.95, 1.05, 1.15, 1.45, 1.60, 1.45, 0.95, 0.70, 0.60, 0.75),
    "intl_share": (1.25, 1.20, 1.15, 1.00, 0.85, 0.75, 0.75, 0.80, 0.95, 1.10, 1.20, 1.30),
    "fdi": _FLAT,
    "new_ent": (0.95, 0.88, 1.05, 1.02, 1.02, 1.03, 1.00, 1.00, 0.98, 1.02, 1.02, 1.04),
    "budget_rev": (1.12, 0.86, 0.96, 1.00, 0.96, 1.00, 0.95, 0.95, 0.96, 1.00, 1.05, 1.15),
    "budget_exp": (0.86, 0.84, 0.94, 0.96, 0.97, 1.00, 0.97, 0.97, 1.00, 1.04, 1.07, 1.16),
    "new_jobs": (0.92, 0.88, 1.00, 1.02, 1.02, 1.05, 1.05, 1.02, 1.00, 1.00, 1.02, 1.04),
}
# (month before Tết, month of Tết, month after Tết)
TET_EFFECTS: dict[str, tuple[float, float, float]] = {
    "retail": (1.04, 1.07, 0.97),
    "export": (1.02, 0.88, 1.03),
    "import": (1.02, 0.90, 1.03),
    "tourists": (1.00, 1.12, 1.00),
    "budget_rev": (1.02, 0.93, 1.00),
    "new_ent": (1.00, 0.86, 1.06),
    "new_jobs": (1.00, 0.88, 1.04),
    "iip": (1.01, 0.92, 1.02),
}
NOISE: dict[str, float] = {
    "grdp_real": 0.012,
    "iip": 0.025,
    "retail": 0.03,
    "export": 0.05,
    "import": 0.05,
    "tourists": 0.045,
    "intl_share": 0.04,
    "fdi": 0.30,  # log-normal sigma
    "new_ent": 0.07,
    "budget_rev": 0.07,
    "budget_exp": 0.07,
    "new_jobs": 0.06,
    "labour": 0.004,
    "unemployment": 0.06,
    "disbursed": 0.10,
    "price": 0.0025,
}
FLOWS = ("retail", "export", "import", "tourists", "new_ent", "budget_rev", "budget_exp")
FLOWS_LATER = ("new_jobs",)
# Share of the year's public investment plan disbursed in each month (sums to 0.95).
DISBURSEMENT_PROFILE = (0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.07, 0.08, 0.09, 0.10, 0.11, 0.17)
MAX_DISBURSEMENT_RATE = 99.5


def month_index(period: Period) -> int:
    """Months since year 0 of the period's first month (``2026-07`` → 2026·12 + 6)."""
    return period.start.year * 12 + period.start.month - 1


def month_of(index: int) -> Period:
    return Period.for_month(index // 12, index % 12 + 1)


def months_in(period: Period) -> list[int]:
    """Month indexes of a month, quarter, half or year (weeks and days are not generated)."""
    if period.type in (PeriodType.DAY, PeriodType.WEEK):
        raise ValueError(f"the demo generates months and longer, not {period.type.value}s")
    first = month_index(period)
    last = period.end.year * 12 + period.end.month - 1
    return list(range(first, last + 1))


@lru_cache(maxsize=8)
def _tet_days(decade: int) -> dict[int, date]:
    """Mùng một Tết of every year of a decade, from one ``holidays`` table (building one
    costs tens of milliseconds, so years are asked for together)."""
    years = range(decade * 10, decade * 10 + 10)
    table = country_holidays("VN", years=years, language="vi")
    return {day.year: day for day, name in table.items() if name == "Tết Nguyên Đán"}


def tet_day(year: int) -> date:
    """Mùng một Tết of ``year`` by the Vietnamese lunar calendar, as ``holidays`` knows it
    (the same table the working-day calendar uses)."""
    found = _tet_days(year // 10).get(year)
    if found is None:
        raise LookupError(f"holidays does not know Tết of {year}")
    return found


def tet_position(index: int) -> int | None:
    """-1 for the month before Tết, 0 for its month, 1 for the month after, else None."""
    year = index // 12
    for tet_year in (year, year + 1):
        tet = tet_day(tet_year)
        offset = index - (tet.year * 12 + tet.month - 1)
        if -1 <= offset <= 1:
            return offset
    return None


def _tet_factor(name: str, index: int) -> float:
    effects = TET_EFFECTS.get(name)
    position = tet_position(index)
    if effects is None or position is None:
        return 1.0
    return effects[position + 1]


def _growth_rate(year: int, table: dict[int, float], later: float) -> float:
    return table.get(year, later)


def _compound(year: int, table: dict[int, float], later: float) -> float:
    """Level of ``year`` relative to 2019: a step per year, so that every month of a year is
    exactly that year's growth above the same month of the year before (before noise)."""
    level = 1.0
    for y in range(FIRST_YEAR, year + 1):
        level *= 1 + _growth_rate(y, table, later)
    return level


@dataclass(frozen=True)
class ProvinceSeries:
    """Monthly extensive series of one province from January 2020 to ``last`` (a month index).

    ``values[name][i]`` is the value of month ``START + i``. Every series adds up across
    provinces (see the module notes), so :meth:`merged` is an element-wise sum.
    """

    last: int
    values: dict[str, list[float]]

    def at(self, name: str, index: int) -> float:
        return self.values[name][index - START]

    def total(self, name: str, indexes: Sequence[int]) -> float:
        series = self.values[name]
        return math.fsum(series[i - START] for i in indexes)

    @staticmethod
    def merged(parts: Sequence[ProvinceSeries]) -> ProvinceSeries:
        if not parts:
            raise ValueError("nothing to merge")
        last = min(p.last for p in parts)
        size = last - START + 1
        names = parts[0].values.keys()
        return ProvinceSeries(
            last=last,
            values={
                name: [math.fsum(p.values[name][i] for p in parts) for i in range(size)]
                for name in names
            },
        )


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own per series: a value depends on the seed and its month only."""
    return random.Random("|".join(str(p) for p in (seed, *parts)))  # noqa: S311 - demo data


def build_province(
    *, code: str, kind: str, population_2020: float, seed: int, last: int
) -> ProvinceSeries:
    """The series of one (legacy) province: ``kind`` is ``city`` or ``province``,
    ``population_2020`` in persons, ``last`` the last month index to generate."""
    base = BASES[kind]
    size = last - START + 1
    offset = _rng(seed, code, "growth").gauss(0, 0.006)
    real_rates = {y: r + offset for y, r in REAL_GROWTH.items()}
    later_rate = REAL_GROWTH_LATER + offset
    values: dict[str, list[float]] = {}

    # the 2020 figure is an annual average: it is the level of mid-2020
    population = [
        population_2020 * (1 + base["pop_growth"]) ** ((i - 5.5) / 12) for i in range(size)
    ]
    thousands = [p / 1000 for p in population]
    values["population"] = population

    def flow(name: str, trend: float, extra: list[float] | None = None) -> list[float]:
        rng = _rng(seed, code, name)
        season = SEASONS.get(name, _FLAT)
        sd = NOISE[name]
        out: list[float] = []
        for i in range(size):
            index = START + i
            shock = rng.gauss(0, sd)
            level = base[name] / 12 * thousands[i] * (1 + trend) ** ((index - 2021 * 12) / 12)
            level *= season[index % 12] * _tet_factor(name, index)
            if extra is not None:
                level *= extra[i]
            out.append(max(level * (1 + shock), level * 0.05))
        return out

    real = [
        _compound(i // 12 + FIRST_YEAR, real_rates, later_rate)
        / _compound(2021, real_rates, later_rate)
        for i in range(size)
    ]
    per_head = [r / (thousands[i] / thousands[12]) for i, r in enumerate(real)]
    values["grdp_real"] = flow("grdp_real", 0.0, per_head)
    # at current prices: every series must add up across provinces, so not the deflator
    values["grdp"] = [
        real * (1 + DEFLATOR_GROWTH) ** ((i - 12) / 12)
        for i, real in enumerate(values["grdp_real"])
    ]
    values["iip"] = flow("iip", 0.01, per_head)
    for name in (*FLOWS, *FLOWS_LATER):
        values[name] = flow(name, TRENDS[name])
    values["fdi"] = _fdi(seed, code, base, thousands)
    values["intl"] = _international(seed, code, base, values["tourists"])
    values["price"] = [p * thousands[0] for p in _price_level(seed, code, size)]
    values["labour"], values["unemployed"] = _labour(seed, code, base, population)
    values["pi_plan"], values["disbursed"] = _investment(seed, code, base, thousands)
    return ProvinceSeries(last=last, values=values)


def _fdi(seed: int, code: str, base: dict[str, float], thousands: list[float]) -> list[float]:
    rng = _rng(seed, code, "fdi")
    sigma = NOISE["fdi"]
    out = []
    for i, k in enumerate(thousands):
        level = base["fdi"] / 12 * k * (1 + TRENDS["fdi"]) ** ((i - 12) / 12)
        out.append(level * math.exp(rng.gauss(0, sigma) - sigma * sigma / 2))
    return out


def _international(
    seed: int, code: str, base: dict[str, float], tourists: list[float]
) -> list[float]:
    rng = _rng(seed, code, "intl_share")
    season = SEASONS["intl_share"]
    out = []
    for i, visits in enumerate(tourists):
        share = base["intl_share"] * season[(START + i) % 12] * (1 + rng.gauss(0, 0.04))
        out.append(visits * min(max(share, 0.02), 0.9))
    return out


def _price_level(seed: int, code: str, size: int) -> list[float]:
    """A consumer price level, January 2020 = 1; CPI is its year-on-year ratio.

    The trend compounds the year's inflation month by month (with a Tết bump); the noise
    is added to each month's level, not compounded, so CPI does not wander off as a random
    walk would."""
    rng = _rng(seed, code, "price")
    level, out = 1.0, []
    for i in range(size):
        index = START + i
        monthly = _growth_rate(index // 12, INFLATION, INFLATION_LATER) / 12
        position = tet_position(index)
        bump = 0.005 if position == 0 else 0.001 if position == 1 else 0.0
        if i:
            level *= 1 + monthly
        out.append(level * (1 + bump + rng.gauss(0, NOISE["price"])))
    return out


def _labour(
    seed: int, code: str, base: dict[str, float], population: list[float]
) -> tuple[list[float], list[float]]:
    rng = _rng(seed, code, "labour")
    labour, unemployed = [], []
    for i, people in enumerate(population):
        year = (START + i) // 12
        force = people * base["labour_ratio"] * (1 + rng.gauss(0, NOISE["labour"]))
        rate = base["unemployment"] * 0.98 ** (year - 2021)
        labour.append(force)
        unemployed.append(force * rate * (1 + rng.gauss(0, NOISE["unemployment"])))
    return labour, unemployed


def _investment(
    seed: int, code: str, base: dict[str, float], thousands: list[float]
) -> tuple[list[float], list[float]]:
    """The year's public investment plan (repeated in each month) and the amount disbursed
    each month: a profile that accelerates towards December, scaled by a yearly pace."""
    rng = _rng(seed, code, "disbursed")
    plan, disbursed = [], []
    pace: dict[int, float] = {}
    for i in range(len(thousands)):
        year = (START + i) // 12
        january = i - i % 12
        yearly = base["pi_plan"] * thousands[january] * (1 + TRENDS["pi_plan"]) ** (year - 2021)
        if year not in pace:
            pace[year] = min(max(rng.gauss(0.96, 0.04), 0.85), 1.04)
        share = DISBURSEMENT_PROFILE[i % 12] * pace[year]
        plan.append(yearly)
        disbursed.append(yearly * share * (1 + rng.gauss(0, NOISE["disbursed"])))
    return plan, disbursed


# --- indicator values from the series ------------------------------------------------------


def _ytd(period: Period) -> list[int]:
    """Month indexes from January to the period's last month."""
    last = period.end.year * 12 + period.end.month - 1
    return list(range(period.end.year * 12, last + 1))


def _ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom > 0 else None


def province_value(code: str, series: ProvinceSeries, period: Period) -> float | None:
    """The value of a province-level indicator of the pack for ``period``; ``None`` when the
    code is not one the demo knows or the series does not reach back far enough."""
    months = months_in(period)
    if months[0] < START + 12 and code in _NEEDS_LAST_YEAR:
        return None
    s = series
    match code:
        case "GRDP":
            return s.total("grdp", months)
        case "GRDP_GROWTH":
            ytd = _ytd(period)
            ratio = _ratio(s.total("grdp_real", ytd), s.total("grdp_real", [m - 12 for m in ytd]))
            return None if ratio is None else 100 * (ratio - 1)
        case "IIP" | "CPI":
            name = "iip" if code == "IIP" else "price"
            ratio = _ratio(s.total(name, months), s.total(name, [m - 12 for m in months]))
            return None if ratio is None else 100 * ratio
        case "RETAIL_SALES" | "EXPORT_TURNOVER" | "IMPORT_TURNOVER" | "BUDGET_EXPENDITURE":
            return s.total(_FLOW_OF[code], months)
        case "TOURIST_ARRIVALS" | "INTERNATIONAL_ARRIVALS" | "FDI_REGISTERED":
            return s.total(_FLOW_OF[code], months)
        case "NEW_ENTERPRISES" | "BUDGET_REVENUE" | "NEW_JOBS":
            return s.total(_FLOW_OF[code], months)
        case "BUDGET_REVENUE_PLAN":
            # Estimates are assigned before the year starts: last year's revenue and a bit.
            last_year = list(range((period.start.year - 1) * 12, period.start.year * 12))
            return s.total("budget_rev", last_year) * 1.06
        case "PUBLIC_INVESTMENT_PLAN":
            return s.at("pi_plan", months[0])
        case "PUBLIC_INVESTMENT_DISBURSEMENT_RATE":
            ytd = _ytd(period)
            ratio = _ratio(s.total("disbursed", ytd), s.at("pi_plan", ytd[0]))
            return None if ratio is None else min(100 * ratio, MAX_DISBURSEMENT_RATE)
        case "LABOUR_FORCE":
            return s.total("labour", months) / len(months)
        case "UNEMPLOYMENT_RATE":
            ratio = _ratio(s.total("unemployed", months), s.total("labour", months))
            return None if ratio is None else 100 * ratio
    return None


_FLOW_OF = {
    "RETAIL_SALES": "retail",
    "EXPORT_TURNOVER": "export",
    "IMPORT_TURNOVER": "import",
    "BUDGET_EXPENDITURE": "budget_exp",
    "TOURIST_ARRIVALS": "tourists",
    "INTERNATIONAL_ARRIVALS": "intl",
    "FDI_REGISTERED": "fdi",
    "NEW_ENTERPRISES": "new_ent",
    "BUDGET_REVENUE": "budget_rev",
    "NEW_JOBS": "new_jobs",
}
_NEEDS_LAST_YEAR = frozenset({"GRDP_GROWTH", "IIP", "CPI", "BUDGET_REVENUE_PLAN"})
PROVINCE_CODES = frozenset(
    {
        "GRDP",
        "GRDP_GROWTH",
        "IIP",
        "CPI",
        "PUBLIC_INVESTMENT_PLAN",
        "PUBLIC_INVESTMENT_DISBURSEMENT_RATE",
        "LABOUR_FORCE",
        "UNEMPLOYMENT_RATE",
        "BUDGET_REVENUE_PLAN",
        *_FLOW_OF,
    }
)
# Share of women in the labour force (the sex breakdown the pack declares).
FEMALE_SHARE_LABOUR = 0.478
