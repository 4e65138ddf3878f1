"""Indicator pages: the catalog and an indicator's detail."""

from fastapi import APIRouter

from dieuhanh.domains.indicators import pages_catalog, pages_detail

router = APIRouter()
for _sub in (pages_catalog.router, pages_detail.router):
    router.include_router(_sub)
