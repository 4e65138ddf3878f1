"""The indicators domain's public service: what routes, components and other domains call.

Implementation is split by use case (``catalog``, ``ingest``, ``query``, ``exports``…) and
gathered here, so callers import one module and never the models.
"""

from __future__ import annotations

from dieuhanh.domains.indicators import rollups as _rollups
from dieuhanh.domains.indicators import versions as _versions

# --- catalog: definitions, dimensions, rules, targets, component packs -----------------------
# (``x as x``: explicit re-exports, so each use case adds its names without a shared __all__)
from dieuhanh.domains.indicators.catalog import create_indicator as create_indicator
from dieuhanh.domains.indicators.catalog import get_indicator as get_indicator
from dieuhanh.domains.indicators.catalog import get_indicator_by_id as get_indicator_by_id
from dieuhanh.domains.indicators.catalog import indicator_history as indicator_history
from dieuhanh.domains.indicators.catalog import indicators_by_code as indicators_by_code
from dieuhanh.domains.indicators.catalog import list_indicators as list_indicators
from dieuhanh.domains.indicators.catalog import update_indicator as update_indicator
from dieuhanh.domains.indicators.catalog_checks import CATALOG_MESSAGES as CATALOG_MESSAGES
from dieuhanh.domains.indicators.catalog_packs import sync_packs as sync_packs
from dieuhanh.domains.indicators.catalog_rules import create_rule as create_rule
from dieuhanh.domains.indicators.catalog_rules import get_rule as get_rule
from dieuhanh.domains.indicators.catalog_rules import list_dimensions as list_dimensions
from dieuhanh.domains.indicators.catalog_rules import list_rules as list_rules
from dieuhanh.domains.indicators.catalog_rules import update_rule as update_rule
from dieuhanh.domains.indicators.catalog_targets import get_targets as get_targets
from dieuhanh.domains.indicators.catalog_targets import set_targets as set_targets

# --- exports: CSV, Excel, SDMX ----------------------------------------------------------------
from dieuhanh.domains.indicators.exports import ExportIndicator as ExportIndicator
from dieuhanh.domains.indicators.exports import ExportQuery as ExportQuery
from dieuhanh.domains.indicators.exports import ExportRow as ExportRow
from dieuhanh.domains.indicators.exports import ExportTable as ExportTable
from dieuhanh.domains.indicators.exports_files import CSV_MEDIA_TYPE as CSV_MEDIA_TYPE
from dieuhanh.domains.indicators.exports_files import XLSX_MEDIA_TYPE as XLSX_MEDIA_TYPE
from dieuhanh.domains.indicators.exports_files import content_disposition as content_disposition
from dieuhanh.domains.indicators.exports_files import export_filename as export_filename
from dieuhanh.domains.indicators.exports_files import to_csv as to_csv
from dieuhanh.domains.indicators.exports_files import to_xlsx as to_xlsx
from dieuhanh.domains.indicators.exports_query import export_table as export_table
from dieuhanh.domains.indicators.exports_sdmx import dataflow_message as dataflow_message
from dieuhanh.domains.indicators.exports_sdmx import datastructure_message as datastructure_message
from dieuhanh.domains.indicators.exports_sdmx import sdmx_data as sdmx_data
from dieuhanh.domains.indicators.exports_sdmx import sdmx_flows as sdmx_flows

# --- end catalog ------------------------------------------------------------------------------
from dieuhanh.domains.indicators.sdmx_json import SDMX_JSON_MEDIA_TYPE as SDMX_JSON_MEDIA_TYPE
from dieuhanh.domains.indicators.sdmx_json import to_sdmx_json as to_sdmx_json
from dieuhanh.domains.indicators.sdmx_structure import SDMX_AGENCY as SDMX_AGENCY
from dieuhanh.domains.indicators.sdmx_structure import (
    sdmx_dimension_at_observation as sdmx_dimension_at_observation,
)
from dieuhanh.domains.indicators.sdmx_xml import (
    SDMX_GENERIC_MEDIA_TYPE as SDMX_GENERIC_MEDIA_TYPE,
)
from dieuhanh.domains.indicators.sdmx_xml import to_generic_data as to_generic_data

# --- end exports ------------------------------------------------------------------------------
# isort: split
# --- ingest: observations write path, revisions, batches --------------------------------------
from dieuhanh.domains.indicators.ingest import ingest_file as ingest_file
from dieuhanh.domains.indicators.ingest import ingest_json as ingest_json
from dieuhanh.domains.indicators.ingest import ingest_rows as ingest_rows
from dieuhanh.domains.indicators.ingest_files import MAX_JSON_BYTES as MAX_JSON_BYTES
from dieuhanh.domains.indicators.ingest_files import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES
from dieuhanh.domains.indicators.ingest_history import get_batch as get_batch
from dieuhanh.domains.indicators.ingest_history import value_revisions as value_revisions
from dieuhanh.domains.indicators.schemas_ingest import BatchOut as BatchOut
from dieuhanh.domains.indicators.schemas_ingest import IngestRequest as IngestRequest
from dieuhanh.domains.indicators.schemas_ingest import ObservationIn as ObservationIn
from dieuhanh.domains.indicators.schemas_ingest import RevisionsOut as RevisionsOut

# --- end ingest -------------------------------------------------------------------------------
# isort: split
# --- query: roll-ups, series, tables, values with plans, explain, freshness, overview ---------
from dieuhanh.domains.indicators.freshness import Freshness as Freshness
from dieuhanh.domains.indicators.query import cross_section as cross_section
from dieuhanh.domains.indicators.query import explain as explain
from dieuhanh.domains.indicators.query import freshness as freshness
from dieuhanh.domains.indicators.query import freshness_summary as freshness_summary
from dieuhanh.domains.indicators.query import query_table as query_table
from dieuhanh.domains.indicators.query import query_value as query_value
from dieuhanh.domains.indicators.query import series as series
from dieuhanh.domains.indicators.query import series_many as series_many
from dieuhanh.domains.indicators.query_overview import overview as overview
from dieuhanh.domains.indicators.query_overview import period_for as period_for
from dieuhanh.domains.indicators.schemas_query import CellOut as CellOut
from dieuhanh.domains.indicators.schemas_query import CrossSectionOut as CrossSectionOut
from dieuhanh.domains.indicators.schemas_query import ExplainNode as ExplainNode
from dieuhanh.domains.indicators.schemas_query import ExplainOut as ExplainOut
from dieuhanh.domains.indicators.schemas_query import FreshnessOut as FreshnessOut
from dieuhanh.domains.indicators.schemas_query import OverviewOut as OverviewOut
from dieuhanh.domains.indicators.schemas_query import SeriesOut as SeriesOut
from dieuhanh.domains.indicators.schemas_query import TableOut as TableOut
from dieuhanh.domains.indicators.schemas_query import ValueOut as ValueOut

# --- end query --------------------------------------------------------------------------------
# isort: split
# --- annotations: dated notes on the charts (notes, events, directives) -----------------------
from dieuhanh.domains.indicators.annotations import (
    ANNOTATION_MESSAGES as ANNOTATION_MESSAGES,
)
from dieuhanh.domains.indicators.annotations import chart_annotations as chart_annotations
from dieuhanh.domains.indicators.annotations import create_annotation as create_annotation
from dieuhanh.domains.indicators.annotations import delete_annotation as delete_annotation
from dieuhanh.domains.indicators.annotations import kind_label as kind_label
from dieuhanh.domains.indicators.annotations import list_annotations as list_annotations
from dieuhanh.domains.indicators.annotations import may_annotate as may_annotate
from dieuhanh.domains.indicators.annotations import may_delete as may_delete
from dieuhanh.domains.indicators.schemas_annotations import AnnotationIn as AnnotationIn
from dieuhanh.domains.indicators.schemas_annotations import AnnotationOut as AnnotationOut

# --- end annotations --------------------------------------------------------------------------

# --- roll-ups kept on write ------------------------------------------------------------------
rebuild_rollups = _rollups.rebuild
data_version = _versions.current
