"""SDMX-ML 2.1 GenericData messages (``application/vnd.sdmx.genericdata+xml;version=2.1``).

``message:GenericData``: a ``message:Header`` (ID, Test, Prepared, Sender and a
``message:Structure`` that points at ``DIEUHANH:DSD_DIEUHANH(1.0)`` and names the dimension
at the observation level), then one ``message:DataSet`` of ``generic:Series`` — a
``generic:SeriesKey`` of ``generic:Value id= value=``, the series ``generic:Attributes``
(unit of measure, decimals) and ``generic:Obs`` (``generic:ObsDimension``,
``generic:ObsValue``, ``generic:Attributes`` with status and coverage). With
``dimensionAtObservation=AllDimensions`` the data set holds ``generic:Obs`` with a full
``generic:ObsKey`` instead. A missing value is ``NaN`` with ``OBS_STATUS`` ``O``, never 0.

Written with ElementTree (see :mod:`.sdmx_structure`): every code, name and number reaches
the document as an attribute value that the library escapes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from dieuhanh.domains.indicators.exports import ExportIndicator, ExportTable
from dieuhanh.domains.indicators.exports_files import plain_number
from dieuhanh.domains.indicators.sdmx_structure import (
    AGENCY,
    DIMENSIONS,
    DSD_ID,
    VERSION,
    SdmxObservation,
    element,
    header,
    observations,
    ref,
    root_element,
    to_bytes,
)

SDMX_GENERIC_MEDIA_TYPE = "application/vnd.sdmx.genericdata+xml;version=2.1"


def _values(parent: ET.Element, tag: str, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    node = element(parent, tag)
    for component, value in pairs:
        element(node, "generic:Value", id=component, value=value)


def _indicator_attributes(indicator: ExportIndicator, locale: str) -> list[tuple[str, str]]:
    pairs = []
    if indicator.measure_unit(locale):
        pairs.append(("UNIT_MEASURE", indicator.measure_unit(locale)))
    pairs.append(("DECIMALS", str(indicator.decimals)))
    return pairs


def _obs_attributes(o: SdmxObservation) -> list[tuple[str, str]]:
    pairs = []
    if o.status:
        pairs.append(("OBS_STATUS", o.status))
    if o.coverage:
        pairs.append(("COVERAGE", o.coverage))
    return pairs


def _obs_value(o: SdmxObservation) -> str:
    return plain_number(o.value) or "NaN"


def to_generic_data(
    table: ExportTable,
    *,
    locale: str = "vi",
    obs_dims: tuple[int, ...] = (3,),
    prepared: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """The table as an SDMX-ML 2.1 GenericData message (see the module notes)."""
    all_dimensions = len(obs_dims) > 1
    at_obs = "AllDimensions" if all_dimensions else DIMENSIONS[obs_dims[0]]
    root = root_element("message:GenericData", ("message", "common", "generic"))
    head = header(root, prepared or table.generated_at, message_id=message_id)
    structure = element(
        head, "message:Structure", structureID=DSD_ID, dimensionAtObservation=at_obs
    )
    ref(element(structure, "common:Structure"), agencyID=AGENCY, id=DSD_ID, version=VERSION)
    data_set = element(root, "message:DataSet", structureRef=DSD_ID)

    obs = observations(table)
    if all_dimensions:
        for o in obs:
            node = element(data_set, "generic:Obs")
            _values(node, "generic:ObsKey", list(zip(DIMENSIONS, o.key, strict=True)))
            element(node, "generic:ObsValue", value=_obs_value(o))
            indicator = table.indicators[o.key[0]]
            _values(
                node,
                "generic:Attributes",
                _obs_attributes(o) + _indicator_attributes(indicator, locale),
            )
        return to_bytes(root)

    obs_dim = obs_dims[0]
    series_dims = [d for d in range(len(DIMENSIONS)) if d != obs_dim]
    indicator_in_series = obs_dim != 0
    groups: dict[tuple[str, ...], list[SdmxObservation]] = {}
    for o in obs:
        groups.setdefault(tuple(o.key[d] for d in series_dims), []).append(o)
    for key, members in groups.items():
        series = element(data_set, "generic:Series")
        _values(
            series,
            "generic:SeriesKey",
            [(DIMENSIONS[d], v) for d, v in zip(series_dims, key, strict=True)],
        )
        if indicator_in_series:
            _values(
                series,
                "generic:Attributes",
                _indicator_attributes(table.indicators[key[0]], locale),
            )
        for o in members:
            node = element(series, "generic:Obs")
            element(node, "generic:ObsDimension", value=o.key[obs_dim])
            element(node, "generic:ObsValue", value=_obs_value(o))
            attributes = _obs_attributes(o)
            if not indicator_in_series:
                attributes += _indicator_attributes(table.indicators[o.key[0]], locale)
            _values(node, "generic:Attributes", attributes)
    return to_bytes(root)
