"""api_catalog routes (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])
