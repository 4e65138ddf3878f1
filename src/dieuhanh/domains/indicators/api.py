"""``/api/v1/indicators``: catalog, data ingestion, queries and exports, one router each."""

from fastapi import APIRouter

from dieuhanh.domains.indicators import api_catalog, api_data, api_export, api_query

router = APIRouter()
for _sub in (api_catalog.router, api_data.router, api_query.router, api_export.router):
    router.include_router(_sub)
