"""SDMX-JSON 1.0 data messages (``application/vnd.sdmx.data+json;version=1.0.0``).

The message has the three top-level members of version 1.0: ``header``, ``structure`` (the
dimensions and attributes used, each with the list of its values in this message, at the
``dataSet``, ``series`` or ``observation`` level) and ``dataSets``. Series are keyed by the
positions of their values in those lists (``"0:1:0"``) and observations by the positions of
the observation-level dimensions (``"3"``, or ``"0:1:0:3"`` with ``AllDimensions``); an
observation is ``[value, attribute indices…]``, a missing value is ``null`` with status
``O``, never 0.

Attributes without any value in a message are left out (they are all conditional), because
clients zip an observation's indices with the attribute list in order and an empty list
would shift them. ``UNIT_MEASURE`` and ``DECIMALS`` describe an indicator, so they sit at the
series level when ``INDICATOR`` is a series dimension and at the observation level
otherwise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from dieuhanh.core.periods import Period, label
from dieuhanh.domains.indicators.exports import ExportTable
from dieuhanh.domains.indicators.sdmx_structure import (
    AGENCY,
    CONCEPTS,
    DIMENSIONS,
    OBS_STATUS_CODES,
    TOTAL,
    Flow,
    SdmxObservation,
    new_message_id,
    observations,
)

SDMX_JSON_MEDIA_TYPE = "application/vnd.sdmx.data+json;version=1.0.0"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Attribute:
    """One attribute and its distinct values in this message, in order of appearance."""

    id: str
    coded: bool = False
    index: dict[str, int] = field(default_factory=dict)

    def add(self, value: str | None) -> int | None:
        if not value:
            return None
        return self.index.setdefault(value, len(self.index))

    def describe(self, locale: str) -> dict[str, Any]:
        vi, en = CONCEPTS[self.id]
        if self.coded:
            names = {
                code: OBS_STATUS_CODES[code][1 if locale == "en" else 0] for code in self.index
            }
            values = [{"id": code, "name": names[code]} for code in self.index]
        else:
            values = [{"name": text} for text in self.index]
        return {"id": self.id, "name": en if locale == "en" else vi, "values": values}


def _dimension_values(
    table: ExportTable, obs: Sequence[SdmxObservation], locale: str
) -> list[list[dict[str, Any]]]:
    """For each dimension, its values in display order with names (and dates for time)."""
    periods = {o.key[3]: row.period_value for o, row in zip(obs, table.rows, strict=True)}
    units = {row.unit: row.unit_name for row in table.rows}
    disaggs = {o.key[2]: row.disagg for o, row in zip(obs, table.rows, strict=True)}
    indicators = [code for code in table.indicators if any(o.key[0] == code for o in obs)]
    out: list[list[dict[str, Any]]] = [
        [{"id": code, "name": table.indicators[code].name(locale)} for code in indicators],
        [{"id": code, "name": name} for code, name in units.items()],
        [
            {"id": code, "name": table.disagg_label(disagg, locale)}
            for code, disagg in sorted(disaggs.items(), key=lambda kv: (kv[0] != TOTAL, kv[0]))
        ],
        [
            _time_value(code, period, locale)
            for code, period in sorted(periods.items(), key=lambda kv: kv[1])
        ],
    ]
    return out


def _time_value(code: str, period: Period, locale: str) -> dict[str, Any]:
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    end = datetime.combine(period.end, time(23, 59, 59), tzinfo=UTC)
    return {"id": code, "name": label(period, locale), "start": _iso(start), "end": _iso(end)}


def _component(
    dim: str, locale: str, values: list[dict[str, Any]], position: int | None
) -> dict[str, Any]:
    vi, en = CONCEPTS[dim]
    out: dict[str, Any] = {"id": dim, "name": en if locale == "en" else vi}
    if position is not None:
        out["keyPosition"] = position
        if dim == "TIME_PERIOD":
            out["role"] = "time"
    out["values"] = values
    return out


def to_sdmx_json(
    table: ExportTable,
    *,
    flow: Flow,
    locale: str = "vi",
    obs_dims: tuple[int, ...] = (3,),
    prepared: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """The table as an SDMX-JSON 1.0 data message (see the module notes)."""
    obs = observations(table)
    values = _dimension_values(table, obs, locale)
    positions = [{v["id"]: i for i, v in enumerate(vals)} for vals in values]
    series_dims = tuple(d for d in range(len(DIMENSIONS)) if d not in obs_dims)

    # first pass: every attribute value, so that unused attributes can be left out
    status, coverage = _Attribute("OBS_STATUS", coded=True), _Attribute("COVERAGE")
    measure, decimals = _Attribute("UNIT_MEASURE"), _Attribute("DECIMALS")
    indices: list[dict[str, int | None]] = []
    for o in obs:
        indicator = table.indicators[o.key[0]]
        indices.append(
            {
                "OBS_STATUS": status.add(o.status),
                "COVERAGE": coverage.add(o.coverage),
                "UNIT_MEASURE": measure.add(indicator.measure_unit(locale)),
                "DECIMALS": decimals.add(str(indicator.decimals)),
            }
        )
    per_indicator = [a for a in (measure, decimals) if a.index]
    series_level = per_indicator if 0 in series_dims else []
    obs_level = [a for a in (status, coverage) if a.index] + ([] if series_level else per_indicator)

    # second pass: series (or a flat list) of [value, attribute indices…]
    series: dict[str, dict[str, Any]] = {}
    flat: dict[str, list[Any]] = {}
    for o, index in zip(obs, indices, strict=True):
        value = o.value if o.value is not None and math.isfinite(o.value) else None
        entry = [value, *(index[a.id] for a in obs_level)]
        obs_key = ":".join(str(positions[d][o.key[d]]) for d in obs_dims)
        if not series_dims:
            flat[obs_key] = entry
            continue
        series_key = ":".join(str(positions[d][o.key[d]]) for d in series_dims)
        found = series.setdefault(
            series_key, {"attributes": [index[a.id] for a in series_level], "observations": {}}
        )
        found["observations"][obs_key] = entry
    data_set: dict[str, Any] = {"action": "Information"}
    if series_dims:
        data_set["series"] = series
    else:
        data_set["observations"] = flat
    vi, en = flow.names()
    message = {
        "header": {
            "id": message_id or new_message_id(),
            "test": False,
            "prepared": _iso(prepared or table.generated_at),
            "sender": {"id": AGENCY, "name": "Điều Hành IOC"},
        },
        "structure": {
            "name": en if locale == "en" else vi,
            "dimensions": {
                "dataSet": [],
                "series": [_component(DIMENSIONS[d], locale, values[d], d) for d in series_dims],
                "observation": [_component(DIMENSIONS[d], locale, values[d], d) for d in obs_dims],
            },
            "attributes": {
                "dataSet": [],
                "series": [a.describe(locale) for a in series_level],
                "observation": [a.describe(locale) for a in obs_level],
            },
        },
        "dataSets": [data_set],
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
