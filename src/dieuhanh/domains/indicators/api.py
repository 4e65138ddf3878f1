"""``/api/v1/indicators``: catalog, data ingestion, queries, exports and chart annotations, one
router each."""

from fastapi import APIRouter

from dieuhanh.domains.indicators import (
    api_annotations,
    api_catalog,
    api_data,
    api_export,
    api_query,
)

router = APIRouter()
for _sub in (
    api_catalog.router,
    api_data.router,
    api_query.router,
    api_export.router,
    api_annotations.router,
):
    router.include_router(_sub)
