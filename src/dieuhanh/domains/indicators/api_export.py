"""Downloads of indicator values: ``/api/v1/indicators/export.csv|.xlsx`` and SDMX at ``/sdmx``.

The CSV and Excel exports take the query API's parameters (indicators, unit or parent and
level, from/to, period_type, as_of, disagg). The SDMX endpoints follow the SDMX 2.1 REST
conventions instead: ``/sdmx/data/{flow}/{key}`` with ``startPeriod``, ``endPeriod`` and
``dimensionAtObservation``; the format is chosen by ``Accept`` (SDMX-JSON 1.0 when the
client accepts anything, SDMX-ML 2.1 GenericData for XML), or by ``format=`` for clients
that cannot set headers; anything else is ``406``. Every route needs ``indicators.export``,
which API keys (``Authorization: Bearer …``) can carry, and reads only the caller's scope.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from starlette.responses import Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, Locale, require
from dieuhanh.domains.indicators import service

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])
sdmx_router = APIRouter(prefix="/sdmx", tags=["sdmx"])

EXPORT = [require("indicators.export")]
STRUCTURE_MEDIA_TYPE = "application/vnd.sdmx.structure+xml;version=2.1"
DATA_FORMATS = {
    "sdmx-json": "json",
    "jsondata": "json",
    "json": "json",
    "sdmx-ml": "xml",
    "genericdata": "xml",
    "xml": "xml",
}
# media type -> (format, the only version served, if the type is versioned)
DATA_MEDIA: dict[str, tuple[str, str | None]] = {
    "application/vnd.sdmx.data+json": ("json", "1.0"),
    "application/json": ("json", None),
    "application/vnd.sdmx.genericdata+xml": ("xml", "2.1"),
    "application/xml": ("xml", None),
    "text/xml": ("xml", None),
    "*/*": ("json", None),
    "application/*": ("json", None),
    "text/*": ("xml", None),
}
STRUCTURE_MEDIA: dict[str, tuple[str, str | None]] = {
    "application/vnd.sdmx.structure+xml": ("xml", "2.1"),
    "application/xml": ("xml", None),
    "text/xml": ("xml", None),
    "*/*": ("xml", None),
    "application/*": ("xml", None),
    "text/*": ("xml", None),
}


def negotiate(accept: str | None, media: dict[str, tuple[str, str | None]]) -> str:
    """The format for an ``Accept`` header (highest ``q`` first, then the client's order);
    ``not_acceptable`` when it names nothing we write."""
    if not accept or not accept.strip():
        return media["*/*"][0]
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in item.split(";"))
        quality, version = 1.0, None
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            elif name.strip().lower() == "version":
                version = value.strip().strip('"')
        found = media.get(kind.lower())
        if found is None or quality <= 0:
            continue
        fmt, served = found
        if version is not None and served is not None and not version.startswith(served):
            continue
        ranked.append((-quality, index, fmt))
    if not ranked:
        raise ProblemError("not_acceptable", detail=f"cannot write {accept!r}")
    return sorted(ranked)[0][2]


# --- CSV and Excel ---------------------------------------------------------------------------


def export_query(
    indicators: Annotated[
        str, Query(min_length=1, max_length=2000, description="Indicator codes: CPI,IIP")
    ],
    unit: Annotated[str | None, Query(max_length=64, description="One unit: a series")] = None,
    parent: Annotated[
        str | None, Query(max_length=64, description="The units under this one: a table")
    ] = None,
    level: Annotated[
        Literal["province", "district", "commune"] | None,
        Query(description="With parent: the level of the units listed"),
    ] = None,
    period_type: Annotated[
        Literal["day", "week", "month", "quarter", "half", "year"] | None,
        Query(description="Default: the type of 'from', else each indicator's cadence"),
    ] = None,
    start: Annotated[str | None, Query(alias="from", max_length=16, examples=["2024-01"])] = None,
    end: Annotated[str | None, Query(alias="to", max_length=16, examples=["2026-09"])] = None,
    as_of: Annotated[
        date | None, Query(description="Map of units: before 2025-07-01 the legacy one")
    ] = None,
    disagg: Annotated[
        str, Query(max_length=128, description="'' the total, '*' all, or e.g. sex=female")
    ] = "",
) -> service.ExportQuery:
    """The query API's parameters, shared by both downloads."""
    codes = tuple(dict.fromkeys(c.strip() for c in indicators.split(",") if c.strip()))
    return service.ExportQuery(
        indicators=codes,
        unit=unit,
        parent=parent,
        level=level,
        period_type=period_type,
        start=start,
        end=end,
        as_of=as_of,
        disagg=disagg,
    )


ExportParams = Annotated[service.ExportQuery, Depends(export_query)]


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": service.content_disposition(filename)},
    )


@router.get(
    "/export.csv",
    dependencies=EXPORT,
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM"}},
)
def export_csv(
    actor: CurrentActor,
    db: DbSession,
    locale: Locale,
    query: ExportParams,
    sep: Annotated[Literal["comma", "semicolon"], Query(description="Field separator")] = "comma",
) -> Response:
    """The values as CSV: a header row in the caller's language, then one row per value
    (plain decimal numbers, status and disaggregation as codes, empty when missing)."""
    table = service.export_table(db=db, actor=actor, query=query)
    body = service.to_csv(table, locale=locale, sep=sep)
    return _download(body, service.CSV_MEDIA_TYPE, service.export_filename(query, "csv"))


@router.get(
    "/export.xlsx",
    dependencies=EXPORT,
    response_class=Response,
    responses={200: {"content": {service.XLSX_MEDIA_TYPE: {}}, "description": "Workbook"}},
)
def export_xlsx(
    actor: CurrentActor, db: DbSession, locale: Locale, query: ExportParams
) -> Response:
    """The values as an Excel workbook: typed numbers with the indicator's decimals, a
    frozen header, and a provenance sheet ("Nguồn")."""
    table = service.export_table(db=db, actor=actor, query=query)
    body = service.to_xlsx(table, locale=locale)
    return _download(body, service.XLSX_MEDIA_TYPE, service.export_filename(query, "xlsx"))


# --- SDMX ------------------------------------------------------------------------------------

AcceptHeader = Annotated[str | None, Header(alias="accept", include_in_schema=False)]
References = Annotated[
    str,
    Query(description="none, or children/descendants/all to add codelists and concepts"),
]
AsOf = Annotated[date | None, Query(description="Map of units (legacy before 2025-07-01)")]
Agency = Annotated[str, Path(description="Maintenance agency: DIEUHANH (or all)")]
Version = Annotated[str, Path(description="1.0 or latest")]
StartPeriod = Annotated[str | None, Query(alias="startPeriod", max_length=16, examples=["2024-01"])]
EndPeriod = Annotated[str | None, Query(alias="endPeriod", max_length=16, examples=["2026-Q3"])]
AtObservation = Annotated[
    str | None,
    Query(alias="dimensionAtObservation", description="TIME_PERIOD (default), AllDimensions…"),
]
Format = Annotated[
    Literal["sdmx-json", "jsondata", "json", "sdmx-ml", "genericdata", "xml"] | None,
    Query(alias="format", description="Overrides Accept for clients that cannot set it"),
]


def _structure(body: bytes) -> Response:
    return Response(body, media_type=STRUCTURE_MEDIA_TYPE, headers={"Vary": "Accept"})


@sdmx_router.get("/dataflow", dependencies=EXPORT, response_class=Response)
def dataflows(
    actor: CurrentActor,
    db: DbSession,
    accept: AcceptHeader = None,
    references: References = "none",
    as_of: AsOf = None,
) -> Response:
    """Every dataflow: ``DF_DIEUHANH`` and one per component (SDMX-ML 2.1 structure)."""
    negotiate(accept, STRUCTURE_MEDIA)
    body = service.dataflow_message(
        db=db, actor=actor, reference=None, references=references, as_of=as_of
    )
    return _structure(body)


@sdmx_router.get(
    "/dataflow/{agency}/{flow_id}/{version}", dependencies=EXPORT, response_class=Response
)
def dataflow(
    actor: CurrentActor,
    db: DbSession,
    agency: Agency,
    flow_id: str,
    version: Version,
    accept: AcceptHeader = None,
    references: References = "none",
    as_of: AsOf = None,
) -> Response:
    """One dataflow; ``references=all`` adds its data structure, codelists and concepts."""
    negotiate(accept, STRUCTURE_MEDIA)
    reference = f"{agency},{flow_id},{version}"
    body = service.dataflow_message(
        db=db, actor=actor, reference=reference, references=references, as_of=as_of
    )
    return _structure(body)


def _datastructure(
    db: DbSession,
    actor: CurrentActor,
    reference: str,
    accept: str | None,
    references: str,
    as_of: date | None,
) -> Response:
    negotiate(accept, STRUCTURE_MEDIA)
    body = service.datastructure_message(
        db=db, actor=actor, reference=reference, references=references, as_of=as_of
    )
    return _structure(body)


@sdmx_router.get("/datastructure/{dsd_id}", dependencies=EXPORT, response_class=Response)
def datastructure(
    actor: CurrentActor,
    db: DbSession,
    dsd_id: str,
    accept: AcceptHeader = None,
    references: References = "none",
    as_of: AsOf = None,
) -> Response:
    """The data structure ``DSD_DIEUHANH``; ``references=children`` adds its codelists
    (indicators, reference areas of the caller's scope, disaggregations, statuses) and
    concepts: what a client needs to read data with labels."""
    return _datastructure(db, actor, dsd_id, accept, references, as_of)


@sdmx_router.get(
    "/datastructure/{agency}/{dsd_id}/{version}", dependencies=EXPORT, response_class=Response
)
def datastructure_version(
    actor: CurrentActor,
    db: DbSession,
    agency: Agency,
    dsd_id: str,
    version: Version,
    accept: AcceptHeader = None,
    references: References = "none",
    as_of: AsOf = None,
) -> Response:
    """The data structure by its full SDMX reference (``DIEUHANH/DSD_DIEUHANH/1.0``)."""
    return _datastructure(db, actor, f"{agency},{dsd_id},{version}", accept, references, as_of)


def _data(
    db: DbSession,
    actor: CurrentActor,
    locale: str,
    flow: str,
    key: str,
    *,
    accept: str | None,
    fmt: str | None,
    start_period: str | None,
    end_period: str | None,
    dimension_at_observation: str | None,
    as_of: date | None,
) -> Response:
    chosen = DATA_FORMATS[fmt] if fmt else negotiate(accept, DATA_MEDIA)
    obs_dims = service.sdmx_dimension_at_observation(dimension_at_observation)
    flow_out, table = service.sdmx_data(
        db=db,
        actor=actor,
        flow=flow,
        key=key,
        start_period=start_period,
        end_period=end_period,
        as_of=as_of,
    )
    if chosen == "json":
        body = service.to_sdmx_json(table, flow=flow_out, locale=locale, obs_dims=obs_dims)
        media_type = service.SDMX_JSON_MEDIA_TYPE
    else:
        body = service.to_generic_data(table, locale=locale, obs_dims=obs_dims)
        media_type = service.SDMX_GENERIC_MEDIA_TYPE
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


@sdmx_router.get("/data/{flow}/{key}", dependencies=EXPORT, response_class=Response)
def data(
    actor: CurrentActor,
    db: DbSession,
    locale: Locale,
    flow: Annotated[str, Path(description="DF_DIEUHANH, DIEUHANH,DF_DIEUHANH,1.0 …")],
    key: Annotated[str, Path(description="INDICATOR.REF_AREA.DISAGG, e.g. CPI+IIP.48.")],
    accept: AcceptHeader = None,
    start_period: StartPeriod = None,
    end_period: EndPeriod = None,
    dimension_at_observation: AtObservation = None,
    fmt: Format = None,
    as_of: AsOf = None,
) -> Response:
    """Data for a series key (``+`` for OR, an empty part for any value), as SDMX-JSON 1.0
    or SDMX-ML 2.1 GenericData by ``Accept``."""
    return _data(
        db,
        actor,
        locale,
        flow,
        key,
        accept=accept,
        fmt=fmt,
        start_period=start_period,
        end_period=end_period,
        dimension_at_observation=dimension_at_observation,
        as_of=as_of,
    )


@sdmx_router.get("/data/{flow}", dependencies=EXPORT, response_class=Response)
def data_all(
    actor: CurrentActor,
    db: DbSession,
    locale: Locale,
    flow: Annotated[str, Path(description="DF_DIEUHANH, DIEUHANH,DF_DIEUHANH,1.0 …")],
    accept: AcceptHeader = None,
    start_period: StartPeriod = None,
    end_period: EndPeriod = None,
    dimension_at_observation: AtObservation = None,
    fmt: Format = None,
    as_of: AsOf = None,
) -> Response:
    """Every series of a dataflow (the key ``all``)."""
    return _data(
        db,
        actor,
        locale,
        flow,
        "all",
        accept=accept,
        fmt=fmt,
        start_period=start_period,
        end_period=end_period,
        dimension_at_observation=dimension_at_observation,
        as_of=as_of,
    )
