"""The home page of the home province (filled by later components)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dieuhanh.core.http import CurrentActor, DbSession, require
from dieuhanh.core.pages import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", dependencies=[require("home.view")])
def home(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    return render(request, "home/index.html", {})
