"""Our SDMX data structure, its codes, and the SDMX-ML 2.1 structure message that publishes it.

Decisions (recorded here because SDMX leaves them to the publisher):

* **One data structure, one dataflow per component.** ``DIEUHANH:DSD_DIEUHANH(1.0)`` serves
  every indicator of every component, so a client learns one key shape. ``DF_DIEUHANH``
  carries every indicator, and each component (hợp phần) gets its own flow over the same
  structure (``DF_SOCIOECONOMIC``, ``DF_HEALTH`` …) whose ``INDICATOR`` codes are that
  component's.
* **Dimensions** ``INDICATOR.REF_AREA.DISAGG`` + ``TIME_PERIOD``. ``REF_AREA`` is the unit's
  GSO code in the map the query asks for (``as_of``: before 2025-07-01 the 63-province map,
  otherwise the 34-province one; codes are reused between the two, so one message never mixes
  them). **One** ``DISAGG`` dimension rather than one per disaggregation dimension: the key
  keeps three parts when the catalog gains a dimension, and indicators disaggregated in
  different ways share a structure. Its codes: ``_T`` is the total (the SDMX convention);
  otherwise ``dim-cat`` pairs sorted by dimension and joined by ``@``, with ``+`` in a
  category written ``PLUS`` (``sex-female``, ``area-urban@sex-female``,
  ``age_group-65PLUS``). Catalog codes are lower case without ``-`` in dimensions, so the
  encoding is reversible and every code is a valid SDMX id.
* **TIME_PERIOD** is SDMX's Gregorian or reporting-period format by the period's type
  (``2026``, ``2026-S1``, ``2026-Q3``, ``2026-07``, ``2026-W12``, ``2026-07-15``). Indicators
  on the Decree 09/2019 reporting calendar are stored and published under their *nominal*
  month (``2026-07`` is the report that covers 15 June – 14 July): SDMX's
  ``REPORTING_YEAR_START_DAY`` would put the 2026 reporting year in 2026-12-15…2027-12-14,
  the opposite of the decree, so no SDMX code can say it better than the catalog does.
* **Attributes**: ``OBS_STATUS`` (a subset of SDMX's CL_OBS_STATUS: ``A`` final, ``P``
  provisional, ``E`` estimated — the value was carried across the 2025 reform through unit
  successions —, ``O`` missing: nothing was reported, the value is NaN, never 0),
  ``COVERAGE`` (``27/30``: units or periods that reported, for aggregates), and per series
  ``UNIT_MEASURE`` (the catalog's text, e.g. ``tỷ đồng``) and ``DECIMALS``.
* Everything is written with :mod:`xml.etree.ElementTree` (escaping is the library's job;
  no XML is ever built from strings of user data). Prefixed tag names are declared on the
  root element, which keeps the familiar ``message:``/``structure:`` prefixes without
  touching ElementTree's global namespace registry.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import to_sdmx
from dieuhanh.domains.indicators.exports import (
    DimensionLabels,
    ExportIndicator,
    ExportRow,
    ExportTable,
    canonical_disagg,
    disagg_combinations,
    disagg_label,
    parse_disagg,
)

AGENCY = SDMX_AGENCY = "DIEUHANH"
VERSION = "1.0"
DSD_ID = "DSD_DIEUHANH"
ALL_FLOW = "DF_DIEUHANH"
CONCEPT_SCHEME = "CS_DIEUHANH"
TOTAL = "_T"
DIMENSIONS = ("INDICATOR", "REF_AREA", "DISAGG", "TIME_PERIOD")
SERIES_ATTRIBUTES = ("UNIT_MEASURE", "DECIMALS")
OBS_ATTRIBUTES = ("OBS_STATUS", "COVERAGE")
ID_PATTERN = re.compile(r"[A-Za-z0-9_@$-]+")

NS = {
    "message": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "common": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "structure": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "generic": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic",
}

# Concept id -> (Vietnamese, English) name.
CONCEPTS: dict[str, tuple[str, str]] = {
    "INDICATOR": ("Chỉ tiêu", "Indicator"),
    "REF_AREA": ("Địa bàn", "Reference area"),
    "DISAGG": ("Phân tổ", "Disaggregation"),
    "TIME_PERIOD": ("Kỳ", "Time period"),
    "OBS_VALUE": ("Giá trị", "Observation value"),
    "OBS_STATUS": ("Trạng thái số liệu", "Observation status"),
    "COVERAGE": ("Mức độ đầy đủ", "Coverage"),
    "UNIT_MEASURE": ("Đơn vị tính", "Unit of measure"),
    "DECIMALS": ("Số chữ số thập phân", "Decimals"),
}
OBS_STATUS_CODES: dict[str, tuple[str, str]] = {
    "A": ("Số liệu chính thức", "Normal value"),
    "P": ("Số liệu sơ bộ", "Provisional value"),
    "E": ("Giá trị ước tính (quy đổi theo địa giới sau sắp xếp 2025)", "Estimated value"),
    "O": ("Không có số liệu", "Missing value"),
}
_STATUS_CODE = {"final": "A", "provisional": "P"}


# --- codes -----------------------------------------------------------------------------------


def disagg_code(disagg: str) -> str:
    """Our canonical ``area=urban;sex=female`` → the SDMX code ``area-urban@sex-female``."""
    if not disagg:
        return TOTAL
    return "@".join(
        f"{dim}-{cat.replace('+', 'PLUS')}" for dim, cat in parse_disagg(disagg).items()
    )


def disagg_from_code(code: str) -> str:
    """The inverse of :func:`disagg_code`; ``ValueError`` for text that is not one."""
    if code == TOTAL:
        return ""
    parts: dict[str, str] = {}
    for piece in code.split("@"):
        dim, sep, cat = piece.partition("-")
        if not sep or not dim or not cat or dim in parts:
            raise ValueError(f"{code!r} is not a disaggregation code")
        parts[dim] = cat.replace("PLUS", "+")
    canonical = canonical_disagg(parts)
    if disagg_code(canonical) != code:  # e.g. pairs out of order
        raise ValueError(f"{code!r} is not a disaggregation code (pairs go in dimension order)")
    return canonical


def obs_status(row: ExportRow) -> str | None:
    """``O`` missing, ``E`` re-mapped, else ``A``/``P`` by the stored status."""
    if row.value is None:
        return "O"
    if row.remapped:
        return "E"
    return _STATUS_CODE.get(row.status or "")


def time_period(row: ExportRow) -> str:
    return to_sdmx(row.period_value)


def disagg_codes(
    indicators: Iterable[ExportIndicator], dimensions: dict[str, DimensionLabels]
) -> dict[str, tuple[str, str]]:
    """Every DISAGG code the indicators can have → (Vietnamese, English) label."""
    out: dict[str, tuple[str, str]] = {TOTAL: ("Tổng", "Total")}
    for indicator in indicators:
        for disagg in disagg_combinations(indicator, dimensions):
            code = disagg_code(disagg)
            if code not in out:
                out[code] = (
                    disagg_label(disagg, dimensions, "vi"),
                    disagg_label(disagg, dimensions, "en"),
                )
    return out


# --- dataflows and keys ----------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A dataflow: all indicators (``component`` None) or one component's."""

    id: str
    component: str | None

    def names(self) -> tuple[str, str]:
        if self.component is None:
            return ("Tất cả chỉ tiêu của Điều Hành", "All Điều Hành indicators")
        return (f"Chỉ tiêu hợp phần {self.component}", f"Indicators of component {self.component}")


def flow_id(component: str) -> str:
    return "DF_" + re.sub(r"[^A-Z0-9_]", "_", component.upper())


def flows_for(components: Iterable[str]) -> list[Flow]:
    return [Flow(ALL_FLOW, None)] + [Flow(flow_id(c), c) for c in sorted(set(components))]


def find_flow(reference: str, components: Iterable[str]) -> Flow:
    """``DF_X``, ``DIEUHANH,DF_X`` or ``DIEUHANH,DF_X,1.0`` (``latest`` too) → the flow."""
    parts = [p.strip() for p in reference.split(",")]
    if len(parts) == 1:
        agency, wanted, version = AGENCY, parts[0], "latest"
    elif len(parts) == 2:
        (agency, wanted), version = parts, "latest"
    elif len(parts) == 3:
        agency, wanted, version = parts
    else:
        raise ProblemError("dataflow_not_found", detail=reference)
    if agency not in (AGENCY, "all", "*") or version not in (VERSION, "latest", "*", "+"):
        raise ProblemError("dataflow_not_found", detail=reference)
    for flow in flows_for(components):
        if flow.id == wanted:
            return flow
    raise ProblemError("dataflow_not_found", detail=reference)


@dataclass(frozen=True)
class SeriesKey:
    """A parsed ``INDICATOR.REF_AREA.DISAGG`` key; ``None`` in a part is a wildcard."""

    indicators: tuple[str, ...] | None = None
    areas: tuple[str, ...] | None = None
    disaggs: tuple[str, ...] | None = None  # canonical disaggregations


def parse_key(key: str | None) -> SeriesKey:
    """SDMX REST key syntax: parts separated by ``.``, ``+`` for OR, empty for any value;
    ``all`` (or nothing) is every series."""
    if key is None or key.strip() in ("", "all", "ALL"):
        return SeriesKey()
    parts = key.strip().split(".")
    if len(parts) != 3:
        raise ProblemError(
            "sdmx_invalid_key",
            detail=f"{key!r} has {len(parts)} parts; expected INDICATOR.REF_AREA.DISAGG",
        )
    values: list[tuple[str, ...] | None] = []
    for name, part in zip(DIMENSIONS, parts, strict=False):
        if not part:
            values.append(None)
            continue
        codes = tuple(dict.fromkeys(c.strip() for c in part.split("+")))
        bad = [c for c in codes if not ID_PATTERN.fullmatch(c)]
        if bad:
            raise ProblemError("sdmx_invalid_key", detail=f"{name}: {', '.join(map(repr, bad))}")
        values.append(codes)
    disaggs: tuple[str, ...] | None = None
    if values[2] is not None:
        try:
            disaggs = tuple(disagg_from_code(code) for code in values[2])
        except ValueError as exc:
            raise ProblemError("sdmx_invalid_key", detail=f"DISAGG: {exc}") from None
    return SeriesKey(values[0], values[1], disaggs)


# --- XML helpers (shared with the data writer) -----------------------------------------------


def element(
    parent: ET.Element | None, tag: str, text: str | None = None, **attrib: str
) -> ET.Element:
    """A child element; ``tag`` carries its prefix (``message:ID``), declared on the root."""
    attributes = {k.replace("__", ":"): v for k, v in attrib.items()}
    node = ET.Element(tag, attributes) if parent is None else ET.SubElement(parent, tag, attributes)
    if text is not None:
        node.text = text
    return node


def root_element(tag: str, prefixes: Sequence[str]) -> ET.Element:
    return element(None, tag, **{f"xmlns__{p}": NS[p] for p in prefixes})


def names(parent: ET.Element, vi: str, en: str, tag: str = "common:Name") -> None:
    element(parent, tag, vi, xml__lang="vi")
    if en:
        element(parent, tag, en, xml__lang="en")


def header(parent: ET.Element, prepared: datetime, *, message_id: str | None = None) -> ET.Element:
    """``message:Header`` with ID, Test, Prepared and Sender (the structure ref is added by
    data messages)."""
    node = element(parent, "message:Header")
    element(node, "message:ID", message_id or new_message_id())
    element(node, "message:Test", "false")
    element(node, "message:Prepared", prepared.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    sender = element(node, "message:Sender", id=AGENCY)
    names(sender, "Điều Hành — Trung tâm điều hành thông minh", "Điều Hành IOC")
    return node


def new_message_id() -> str:
    return "IREF" + uuid4().hex[:16].upper()


def to_bytes(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def ref(parent: ET.Element, **attrib: str) -> ET.Element:
    """An unqualified ``<Ref>`` (SDMX-ML 2.1 reference elements have no namespace)."""
    return element(parent, "Ref", **attrib)


def _urn(package: str, cls: str, artefact_id: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.{package}.{cls}={AGENCY}:{artefact_id}({VERSION})"


def _maintainable(
    parent: ET.Element, tag: str, artefact_id: str, urn: str, vi: str, en: str
) -> ET.Element:
    node = element(parent, tag, id=artefact_id, agencyID=AGENCY, version=VERSION, urn=urn)
    node.set("isFinal", "false")
    names(node, vi, en)
    return node


# --- the structure message -------------------------------------------------------------------


@dataclass
class StructureContent:
    """What a structure message carries; empty parts are left out."""

    flows: list[Flow]
    include_dsd: bool = False
    indicators: list[ExportIndicator] | None = None  # codelists and concepts when given
    areas: list[tuple[str, str]] | None = None  # (code, name)
    disaggs: dict[str, tuple[str, str]] | None = None


def _codelist(
    parent: ET.Element, cl_id: str, names_: tuple[str, str], codes: Iterable[tuple[str, str, str]]
) -> None:
    node = _maintainable(
        parent, "structure:Codelist", cl_id, _urn("codelist", "Codelist", cl_id), *names_
    )
    for code, vi, en in codes:
        item = element(node, "structure:Code", id=code)
        names(item, vi, en)


def _concept_ref(parent: ET.Element, concept: str) -> None:
    identity = element(parent, "structure:ConceptIdentity")
    ref(
        identity,
        id=concept,
        maintainableParentID=CONCEPT_SCHEME,
        maintainableParentVersion=VERSION,
        agencyID=AGENCY,
        package="conceptscheme",
        **{"class": "Concept"},
    )


def _enumeration(parent: ET.Element, codelist: str) -> None:
    representation = element(parent, "structure:LocalRepresentation")
    enum = element(representation, "structure:Enumeration")
    ref(
        enum,
        id=codelist,
        version=VERSION,
        agencyID=AGENCY,
        package="codelist",
        **{"class": "Codelist"},
    )


def _text_format(parent: ET.Element, text_type: str) -> None:
    representation = element(parent, "structure:LocalRepresentation")
    element(representation, "structure:TextFormat", textType=text_type)


def _dsd(parent: ET.Element) -> None:
    dsd = _maintainable(
        parent,
        "structure:DataStructure",
        DSD_ID,
        _urn("datastructure", "DataStructure", DSD_ID),
        "Chỉ tiêu kinh tế - xã hội của Điều Hành",
        "Điều Hành indicators",
    )
    components = element(dsd, "structure:DataStructureComponents")
    dims = element(components, "structure:DimensionList", id="DimensionDescriptor")
    for position, (dim, codelist) in enumerate(
        (("INDICATOR", "CL_INDICATOR"), ("REF_AREA", "CL_REF_AREA"), ("DISAGG", "CL_DISAGG")),
        start=1,
    ):
        node = element(dims, "structure:Dimension", id=dim, position=str(position))
        _concept_ref(node, dim)
        _enumeration(node, codelist)
    time = element(dims, "structure:TimeDimension", id="TIME_PERIOD", position="4")
    _concept_ref(time, "TIME_PERIOD")
    _text_format(time, "ObservationalTimePeriod")
    attributes = element(components, "structure:AttributeList", id="AttributeDescriptor")
    for attr, representation, level in (
        ("OBS_STATUS", "CL_OBS_STATUS", "obs"),
        ("COVERAGE", "String", "obs"),
        ("UNIT_MEASURE", "String", "series"),
        ("DECIMALS", "Integer", "series"),
    ):
        node = element(attributes, "structure:Attribute", id=attr, assignmentStatus="Conditional")
        _concept_ref(node, attr)
        if representation.startswith("CL_"):
            _enumeration(node, representation)
        else:
            _text_format(node, representation)
        relationship = element(node, "structure:AttributeRelationship")
        if level == "obs":
            ref(element(relationship, "structure:PrimaryMeasure"), id="OBS_VALUE")
        else:
            ref(element(relationship, "structure:Dimension"), id="INDICATOR")
    measures = element(components, "structure:MeasureList", id="MeasureDescriptor")
    _concept_ref(element(measures, "structure:PrimaryMeasure", id="OBS_VALUE"), "OBS_VALUE")


def structure_message(content: StructureContent, *, prepared: datetime) -> bytes:
    """An SDMX-ML 2.1 ``message:Structure`` with the flows, and optionally the data
    structure, its codelists and concepts (``references=children``)."""
    root = root_element("message:Structure", ("message", "common", "structure"))
    header(root, prepared)
    structures = element(root, "message:Structures")
    if content.flows:
        flows = element(structures, "structure:Dataflows")
        for flow in content.flows:
            node = _maintainable(
                flows,
                "structure:Dataflow",
                flow.id,
                _urn("datastructure", "Dataflow", flow.id),
                *flow.names(),
            )
            target = element(node, "structure:Structure")
            ref(
                target,
                id=DSD_ID,
                version=VERSION,
                agencyID=AGENCY,
                package="datastructure",
                **{"class": "DataStructure"},
            )
    if content.indicators is not None:
        lists = element(structures, "structure:Codelists")
        _codelist(
            lists,
            "CL_INDICATOR",
            ("Chỉ tiêu", "Indicators"),
            ((i.code, i.name_vi, i.name_en) for i in content.indicators),
        )
        _codelist(
            lists,
            "CL_REF_AREA",
            ("Địa bàn", "Reference areas"),
            ((code, name, "") for code, name in content.areas or []),
        )
        _codelist(
            lists,
            "CL_DISAGG",
            ("Phân tổ", "Disaggregations"),
            (
                (code, vi, en)
                for code, (vi, en) in (content.disaggs or {TOTAL: ("Tổng", "Total")}).items()
            ),
        )
        _codelist(
            lists,
            "CL_OBS_STATUS",
            ("Trạng thái số liệu", "Observation status"),
            ((code, vi, en) for code, (vi, en) in OBS_STATUS_CODES.items()),
        )
        concepts = element(structures, "structure:Concepts")
        scheme = _maintainable(
            concepts,
            "structure:ConceptScheme",
            CONCEPT_SCHEME,
            _urn("conceptscheme", "ConceptScheme", CONCEPT_SCHEME),
            "Khái niệm của Điều Hành",
            "Điều Hành concepts",
        )
        for concept, (vi, en) in CONCEPTS.items():
            names(element(scheme, "structure:Concept", id=concept), vi, en)
    if content.include_dsd:
        _dsd(element(structures, "structure:DataStructures"))
    return to_bytes(root)


# --- observations, as both data writers see them ---------------------------------------------


@dataclass(frozen=True, slots=True)
class SdmxObservation:
    key: tuple[str, str, str, str]  # INDICATOR, REF_AREA, DISAGG, TIME_PERIOD
    value: float | None
    status: str | None
    coverage: str | None


def observations(table: ExportTable) -> list[SdmxObservation]:
    return [
        SdmxObservation(
            key=(row.indicator, row.unit, disagg_code(row.disagg), time_period(row)),
            value=row.value,
            status=obs_status(row),
            coverage=row.coverage,
        )
        for row in table.rows
    ]


def sdmx_dimension_at_observation(value: str | None) -> tuple[int, ...]:
    """Positions of the dimensions at observation level (default ``TIME_PERIOD``)."""
    if value is None or value == "" or value == "TIME_PERIOD":
        return (3,)
    if value == "AllDimensions":
        return (0, 1, 2, 3)
    if value in DIMENSIONS:
        return (DIMENSIONS.index(value),)
    raise ProblemError(
        "validation_error",
        errors=[
            {
                "location": ["query", "dimensionAtObservation"],
                "message": f"use AllDimensions or one of {', '.join(DIMENSIONS)}",
            }
        ],
    )
