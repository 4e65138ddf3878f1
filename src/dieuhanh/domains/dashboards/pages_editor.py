"""Dashboard editor pages (to be filled in): compose a dashboard, wall playlists."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pages"], include_in_schema=False)
