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
from collections.abc import Sequence
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


class _Values:
    """The distinct values of one component in a message, in order, with their positions."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def add(self, value: Any) -> int:
        if value not in self.index:
            self.index[value] = len(self.index)
        return self.index[value]

    def __len__(self) -> int:
        return len(self.index)


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
    indicator_in_series = 0 in series_dims

    statuses = _Values()
    coverages = _Values()
    measures = _Values()
    decimals = _Values()
    series: dict[str, dict[str, Any]] = {}
    flat: dict[str, list[Any]] = {}
    for o in obs:
        indicator = table.indicators[o.key[0]]
        attrs_obs: list[int | None] = [
            statuses.add(o.status) if o.status else None,
            coverages.add(o.coverage) if o.coverage else None,
        ]
        attrs_ind: list[int | None] = [
            measures.add(indicator.measure_unit(locale))
            if indicator.measure_unit(locale)
            else None,
            decimals.add(str(indicator.decimals)),
        ]
        obs_key = ":".join(str(positions[d][o.key[d]]) for d in obs_dims)
        if series_dims:
            series_key = ":".join(str(positions[d][o.key[d]]) for d in series_dims)
            entry = series.setdefault(
                series_key,
                {"attributes": attrs_ind if indicator_in_series else [], "observations": {}},
            )
            extra = [] if indicator_in_series else attrs_ind
            entry["observations"][obs_key] = [o.value, *attrs_obs, *extra]
        else:
            flat[obs_key] = [o.value, *attrs_obs, *attrs_ind]

    obs_attributes = [("OBS_STATUS", statuses, True), ("COVERAGE", coverages, False)]
    ind_attributes = [("UNIT_MEASURE", measures, False), ("DECIMALS", decimals, False)]
    series_attributes = ind_attributes if indicator_in_series and series_dims else []
    observation_attributes = obs_attributes + ([] if series_attributes else ind_attributes)
    keep_series = [len(a[1]) > 0 for a in series_attributes]
    keep_obs = [len(a[1]) > 0 for a in observation_attributes]

    def attribute_list(
        spec: list[tuple[str, _Values, bool]], keep: list[bool]
    ) -> list[dict[str, Any]]:
        out = []
        for (attr, vals, coded), kept in zip(spec, keep, strict=True):
            if not kept:
                continue
            vi, en = CONCEPTS[attr]
            if coded:
                entries = [
                    {"id": code, "name": OBS_STATUS_CODES[code][1 if locale == "en" else 0]}
                    for code in vals.index
                ]
            else:
                entries = [{"name": text} for text in vals.index]
            out.append({"id": attr, "name": en if locale == "en" else vi, "values": entries})
        return out

    def trim(indices: list[Any], keep: list[bool]) -> list[Any]:
        return [i for i, kept in zip(indices, keep, strict=True) if kept]

    data_set: dict[str, Any] = {"action": "Information"}
    if series_dims:
        for entry in series.values():
            entry["attributes"] = (
                trim(entry["attributes"], keep_series) if series_attributes else []
            )
            for key, observation in entry["observations"].items():
                entry["observations"][key] = [observation[0], *trim(observation[1:], keep_obs)]
        data_set["series"] = series
    else:
        data_set["observations"] = {
            key: [observation[0], *trim(observation[1:], keep_obs)]
            for key, observation in flat.items()
        }
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
                "series": attribute_list(series_attributes, keep_series),
                "observation": attribute_list(observation_attributes, keep_obs),
            },
        },
        "dataSets": [data_set],
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
