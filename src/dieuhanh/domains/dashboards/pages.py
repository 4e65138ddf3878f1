"""Dashboard pages (filled in below): the home overview, a dashboard for a unit, the editor,
the video wall."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"], include_in_schema=False)
