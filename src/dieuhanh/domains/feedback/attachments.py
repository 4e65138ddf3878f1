"""Photos and videos of reports and answers: checked (:mod:`.media`), stored by content in
the media store, recorded as attachments of the report. The originals stay private (staff
only: they carry the reporter's location and camera data); the public side only ever gets
the copies stripped of metadata, and nothing of a hidden report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.feedback.media import (
    CheckedMedia,
    MediaLimits,
    MediaStore,
    Upload,
    check_uploads,
)
from dieuhanh.domains.feedback.models import Attachment, Report


@dataclass(frozen=True)
class Media:
    """Where media live and what is accepted (settings)."""

    store: MediaStore
    limits: MediaLimits = field(default_factory=MediaLimits)

    @classmethod
    def at(cls, root: str | Path) -> Media:
        return cls(MediaStore(Path(root)))


def check(uploads: Sequence[Upload], media: Media) -> list[tuple[CheckedMedia, bytes]]:
    """Every file checked before anything is stored: one bad file refuses the submission."""
    checked = check_uploads(uploads, limits=media.limits)
    return list(zip(checked, [u.data for u in uploads], strict=True))


def attach(
    db: Session,
    report: Report,
    files: Sequence[tuple[CheckedMedia, bytes]],
    media: Media,
    *,
    role: str = "report",
) -> list[Attachment]:
    """Store the checked files and record them on the report (in the caller's transaction;
    a file stored for a submission that then fails stays unreferenced, never half-written)."""
    out = []
    for checked, original in files:
        stored = media.store.save(checked, original)
        row = Attachment(
            report_id=report.id,
            role=role,
            kind=checked.kind,
            media_type=checked.media_type,
            size=checked.size,
            sha256=checked.sha256,
            private_path=stored.private_path,
            public_path=stored.public_path or "",
            public_type=stored.public_type or "",
            width=checked.width,
            height=checked.height,
            taken_at=checked.taken_at,
            latitude=checked.latitude,
            longitude=checked.longitude,
            created_at=utcnow(),
        )
        db.add(row)
        out.append(row)
    db.flush()
    return out


def public_file(db: Session, media: Media, attachment_id: int) -> tuple[Path, str]:
    """The public copy of an attachment, if there is one and its report is not hidden."""
    row = db.execute(
        select(Attachment.public_path, Attachment.public_type, Report.hidden)
        .join(Report, Report.id == Attachment.report_id)
        .where(Attachment.id == attachment_id)
    ).first()
    if row is None or not row[0] or row[2]:
        raise ProblemError("not_found", detail="no such media file")
    return media.store.public_file(row[0]), row[1]


def private_file(db: Session, media: Media, attachment_id: int) -> tuple[Path, str, int]:
    """The original of an attachment and its report's id (the caller checks the scope)."""
    row = db.execute(
        select(Attachment.private_path, Attachment.media_type, Attachment.report_id).where(
            Attachment.id == attachment_id
        )
    ).first()
    if row is None:
        raise ProblemError("not_found", detail="no such media file")
    return media.store.private_file(row[0]), row[1], int(row[2])
