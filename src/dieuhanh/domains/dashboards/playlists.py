"""Wall playlists: which dashboards the video wall rotates through, for how long, on which
screen. Without a stored playlist the wall shows the home page's composition and every
headline dashboard, 30 seconds each, so a new installation's wall works at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.dashboards.catalog import HOME_CODE, headline_dashboards, require_action
from dieuhanh.domains.dashboards.models import WallPlaylist
from dieuhanh.domains.dashboards.schemas import PlaylistIn, PlaylistItem, PlaylistOut

VIEW = "wall.view"
MANAGE = "wall.manage"
DEFAULT_CODE = "mac-dinh"
DEFAULT_SECONDS = 30


def _out(row: WallPlaylist) -> PlaylistOut:
    return PlaylistOut(
        code=row.code,
        name=row.name,
        items=[PlaylistItem.model_validate(i) for i in row.items],
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def list_playlists(*, db: Session, actor: Actor) -> list[PlaylistOut]:
    require_action(actor, VIEW)
    return [_out(r) for r in db.scalars(select(WallPlaylist).order_by(WallPlaylist.code))]


def get_playlist(*, db: Session, actor: Actor, code: str | None = None) -> PlaylistOut:
    """The named playlist; without a name the first stored one, else the default one."""
    require_action(actor, VIEW)
    statement = select(WallPlaylist).order_by(WallPlaylist.code)
    if code:
        statement = statement.where(WallPlaylist.code == code)
    row = db.scalars(statement.limit(1)).first()
    if row is not None:
        return _out(row)
    if code and code != DEFAULT_CODE:
        raise ProblemError("playlist_not_found", detail=code)
    items = [PlaylistItem(dashboard=HOME_CODE, seconds=DEFAULT_SECONDS)] + [
        PlaylistItem(dashboard=d.code, seconds=DEFAULT_SECONDS)
        for d in headline_dashboards(db=db, actor=actor)
    ]
    return PlaylistOut(
        code=DEFAULT_CODE,
        name="Mặc định",
        items=items,
        version=0,
        updated_at=utcnow(),
        updated_by="",
    )


def save_playlist(*, db: Session, actor: Actor, data: PlaylistIn) -> PlaylistOut:
    """Create or replace a playlist (audited through the ORM)."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    row = db.scalar(select(WallPlaylist).where(WallPlaylist.code == data.code))
    items = [i.model_dump(mode="json") for i in data.items]
    if row is None:
        row = WallPlaylist(
            code=data.code,
            name=data.name,
            items=items,
            version=1,
            updated_at=utcnow(),
            updated_by=actor.name,
        )
        db.add(row)
    else:
        row.name = data.name
        row.items = items
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor.name
    db.flush()
    return _out(row)


def screen_items(playlist: PlaylistOut, screen: int | None) -> list[PlaylistItem]:
    """What screen ``screen`` rotates through: items pinned to it and unpinned ones."""
    if screen is None:
        return list(playlist.items)
    return [i for i in playlist.items if i.screen in (None, screen)]
