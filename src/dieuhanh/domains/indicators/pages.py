"""Indicator pages: the catalog, an indicator's detail, uploads and a value's history."""

from fastapi import APIRouter

from dieuhanh.domains.indicators import pages_catalog, pages_detail, pages_upload

router = APIRouter()
for _sub in (pages_catalog.router, pages_detail.router, pages_upload.router):
    router.include_router(_sub)
