"""Units pages (stub)."""

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
