"""Units JSON API (stub)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/units", tags=["units"])
