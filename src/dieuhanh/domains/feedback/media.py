"""Photos and videos attached to citizen reports and to answers: checked, read, made safe.

A citizen's upload is hostile input until proven otherwise, and it carries personal data
(where the citizen stood, when, with which phone). So:

- the type is decided from the **content** (magic bytes, then Pillow's ``verify`` and a full
  ``load``), never from the file name or the browser's declared type, which a phone gets
  wrong as often as an attacker fakes it; a mismatch is not an error when the content itself
  is a supported type;
- sizes are checked **before** anything is decoded, and the pixel count is checked from the
  header before the pixels are decoded (a 100-byte PNG may declare 10⁵×10⁵ pixels);
- the place and time of the shot are read from EXIF (the answer's "after" photo must be taken
  after the report and near it, see :func:`after_photo_problems`);
- what may be shown publicly is a **new** image made from the pixels alone (orientation
  applied first so it stays upright, then downscaled), so no EXIF, GPS, XMP, ICC profile or
  comment can survive; videos are cleaned by :mod:`.media_video`.

Originals are kept for authorised staff only; :class:`MediaStore` files both copies by the
original's SHA-256, so the same photo sent twice is stored once.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_
from dieuhanh.domains.feedback import media_video
from dieuhanh.domains.feedback.media_video import NotVideoError, VideoError

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # EXIF times without an offset are local times
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)

# content type → Pillow format; HEIC only counts when a plugin (pillow-heif) registered it
IMAGE_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
# the public copy keeps the original's format (HEIC is not shown by most browsers)
PUBLIC_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}
FORMAT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
# what we can name in an error although we do not accept it (helps the citizen understand)
KNOWN_OTHERS = (
    (b"%PDF", "application/pdf"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"PK\x03\x04", "application/zip"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

TAG_ORIENTATION = 0x0112
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4

AFTER_PHOTO_MESSAGES = {
    "after_photo_not_dated": N_("The after photo does not say when it was taken"),
    "after_photo_before_report": N_("The after photo was taken before the report was made"),
    "after_photo_no_location": N_("The after photo does not say where it was taken"),
    "after_photo_too_far": N_("The after photo was taken too far from the reported place"),
}


@dataclass(frozen=True)
class MediaLimits:
    """What a province accepts (settings); the defaults suit a phone on a slow connection."""

    max_photos: int = 5
    max_photo_bytes: int = 10 * 1024 * 1024
    max_video_bytes: int = 50 * 1024 * 1024
    max_video_seconds: float = 60.0
    max_pixels: int = 40_000_000  # decompression-bomb guard
    public_max_side: int = 2048  # published copies are downscaled to this
    max_videos: int = 1


@dataclass(frozen=True)
class CheckedMedia:
    """An accepted upload: what it is, where and when it was taken, and its public copy.

    ``width``/``height`` are those of the picture as shown (after EXIF orientation);
    ``taken_at`` is aware (UTC); ``public`` is None when no safe copy can be published."""

    kind: Literal["image", "video"]
    media_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    duration: float | None
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    public: bytes | None
    public_type: str | None


@dataclass(frozen=True)
class Upload:
    """One file of a multi-file submission (see :func:`check_uploads`)."""

    data: bytes
    filename: str
    declared_type: str | None = None


def sniff(data: bytes) -> str | None:
    """The media type told by the first bytes, or None when we cannot tell."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    found = media_video.sniff_iso(data) or media_video.sniff_ebml(data)
    if found:
        return found
    return next((kind for magic, kind in KNOWN_OTHERS if data.startswith(magic)), None)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _readable_images() -> dict[str, str]:
    Image.init()
    return {kind: fmt for kind, fmt in IMAGE_FORMATS.items() if fmt in Image.OPEN}


def check_upload(
    data: bytes,
    *,
    filename: str,
    declared_type: str | None,
    limits: MediaLimits = MediaLimits(),  # frozen: a shared default is safe
) -> CheckedMedia:
    """Check one upload (see the module notes) or raise :class:`ProblemError` with
    ``media_too_large``, ``media_type_not_allowed``, ``media_corrupt`` or ``video_too_long``.
    ``filename`` and ``declared_type`` only name the file in error details."""
    largest = max(limits.max_photo_bytes, limits.max_video_bytes)
    if len(data) > largest:
        raise ProblemError("media_too_large", detail=f"{filename}: larger than {_mb(largest)}")
    if not data:
        raise ProblemError("media_corrupt", detail=f"{filename}: the file is empty")
    found = sniff(data)
    images = _readable_images()
    if found in images:
        if len(data) > limits.max_photo_bytes:
            raise ProblemError(
                "media_too_large",
                detail=f"{filename}: photos may be at most {_mb(limits.max_photo_bytes)}",
            )
        return _check_image(data, found, images[found], filename=filename, limits=limits)
    if found in VIDEO_TYPES:
        if len(data) > limits.max_video_bytes:
            raise ProblemError(
                "media_too_large",
                detail=f"{filename}: videos may be at most {_mb(limits.max_video_bytes)}",
            )
        return _check_video(data, found, filename=filename, limits=limits)
    declared = f" (declared {declared_type})" if declared_type else ""
    raise ProblemError(
        "media_type_not_allowed",
        detail=f"{filename}: the content is {found or 'not a known type'}{declared}; "
        "photos must be JPEG, PNG or WebP and videos MP4, MOV or WebM",
    )


def check_uploads(
    uploads: Sequence[Upload],
    *,
    limits: MediaLimits = MediaLimits(),  # frozen: a shared default is safe
) -> list[CheckedMedia]:
    """Check the files of one report: each as :func:`check_upload`, and at most
    ``max_photos`` photos and ``max_videos`` videos (``media_too_many``). The count is
    checked before any file is decoded, and again by kind once the contents are known."""
    if len(uploads) > limits.max_photos + limits.max_videos:
        raise ProblemError(
            "media_too_many",
            detail=f"at most {limits.max_photos} photos and {limits.max_videos} video",
        )
    checked = [
        check_upload(u.data, filename=u.filename, declared_type=u.declared_type, limits=limits)
        for u in uploads
    ]
    photos = sum(1 for c in checked if c.kind == "image")
    if photos > limits.max_photos or len(checked) - photos > limits.max_videos:
        raise ProblemError(
            "media_too_many",
            detail=f"at most {limits.max_photos} photos and {limits.max_videos} video",
        )
    return checked


# --- images ----------------------------------------------------------------------------------


def _check_image(
    data: bytes, media_type: str, fmt: str, *, filename: str, limits: MediaLimits
) -> CheckedMedia:
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            width, height = probe.size
            _refuse_bomb(width, height, filename=filename, limits=limits)
            probe.verify()  # structure and checksums, without decoding the pixels
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            if fmt == "JPEG":  # decode at a reduced scale when only a smaller copy is needed
                side = limits.public_max_side
                im.draft("RGB", (side, side))
            im.load()  # every byte is decoded: a truncated or garbled file fails here
            exif = im.getexif()  # after load: a PNG may put its eXIf chunk after the pixels
            orientation = exif.get(TAG_ORIENTATION, 1)
            taken_at = _taken_at(exif)
            latitude, longitude = _gps(exif)
            public = _public_image(im, fmt, limits.public_max_side)
    except ProblemError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ProblemError(
            "media_too_large", detail=f"{filename}: too many pixels ({exc})"
        ) from exc
    except Exception as exc:  # Pillow raises many kinds on hostile input; all mean "corrupt"
        raise ProblemError(
            "media_corrupt", detail=f"{filename}: the image cannot be read ({exc})"
        ) from exc
    if isinstance(orientation, int) and orientation in (5, 6, 7, 8):
        width, height = height, width  # shown turned by a quarter
    return CheckedMedia(
        kind="image",
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        duration=None,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
        public=public,
        public_type=FORMAT_TYPES[PUBLIC_FORMATS[fmt]] if public is not None else None,
    )


def _refuse_bomb(width: int, height: int, *, filename: str, limits: MediaLimits) -> None:
    if width <= 0 or height <= 0:
        raise ProblemError("media_corrupt", detail=f"{filename}: the image has no pixels")
    if width * height > limits.max_pixels:
        raise ProblemError(
            "media_too_large",
            detail=f"{filename}: {width}×{height} pixels is more than the "
            f"{limits.max_pixels:,} allowed (a decompression bomb?)",
        )


def _public_image(im: Image.Image, fmt: str, max_side: int) -> bytes | None:
    """A new image from the pixels only: upright, at most ``max_side``, no metadata at all.

    ``Image.frombytes`` starts from an empty ``info`` and no EXIF, so nothing of the
    original's metadata can leak through a save option we did not think of."""
    upright = ImageOps.exif_transpose(im)
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        mode = "RGBA"
    else:
        mode = "L" if upright.mode == "L" else "RGB"
    out_format = PUBLIC_FORMATS[fmt]
    if out_format == "JPEG" and mode == "RGBA":
        mode = "RGB"
    try:
        pixels = upright.convert(mode)
    except ValueError:
        return None  # an exotic mode we cannot convert: staff-only rather than wrong
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    buffer = io.BytesIO()
    if out_format == "JPEG":
        clean.save(buffer, "JPEG", quality=85)
    elif out_format == "WEBP":
        clean.save(buffer, "WEBP", quality=85)
    else:
        clean.save(buffer, "PNG")
    return buffer.getvalue()


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal; without an offset it is Vietnamese time."""
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        raw = ifd.get(TAG_DATETIME_ORIGINAL)
        if not isinstance(raw, str):
            return None
        moment = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = ifd.get(TAG_OFFSET_TIME_ORIGINAL)
        zone = LOCAL_TZ
        if isinstance(offset, str) and offset.strip("\x00 "):
            zone_offset = datetime.strptime(offset.strip("\x00 "), "%z").utcoffset()
            if zone_offset is not None:
                return moment.replace(tzinfo=UTC) - zone_offset
        return moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def _degrees(value: object, ref: object, negative: str) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    d, m, s = (float(part) for part in value)
    if any(math.isnan(x) or x < 0 for x in (d, m, s)) or m >= 60 or s >= 60:
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str) or ref.strip("\x00 ").upper() not in ("N", "S", "E", "W"):
        return None
    return -degrees if ref.strip("\x00 ").upper() == negative else degrees


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """Decimal degrees from the GPS IFD (S and W negative); None when absent or impossible.
    (0, 0) counts as absent: phones write it when they had no fix, and no Vietnamese
    report comes from the Gulf of Guinea."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF), "S")
        lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF), "W")
    except (ValueError, TypeError, ZeroDivisionError, KeyError):
        return None, None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:
        return None, None
    return lat, lon


# --- videos ----------------------------------------------------------------------------------


def _check_video(
    data: bytes, media_type: str, *, filename: str, limits: MediaLimits
) -> CheckedMedia:
    try:
        if media_type == "video/webm":
            info = media_video.check_webm(data)
        else:
            info = media_video.check_iso(data, media_type)
    except NotVideoError as exc:
        raise ProblemError("media_type_not_allowed", detail=f"{filename}: {exc}") from exc
    except (VideoError, IndexError, ValueError, struct.error) as exc:
        raise ProblemError(
            "media_corrupt", detail=f"{filename}: the video cannot be read ({exc})"
        ) from exc
    if info.duration is not None and info.duration > limits.max_video_seconds:
        raise ProblemError(
            "video_too_long",
            detail=f"{filename}: {info.duration:.0f} s; at most {limits.max_video_seconds:g} s",
        )
    return CheckedMedia(
        kind="video",
        media_type=info.media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=None,
        height=None,
        duration=info.duration,
        taken_at=info.taken_at,
        latitude=info.latitude,
        longitude=info.longitude,
        public=info.public,
        public_type=info.media_type if info.public is not None else None,
    )


# --- the answer's "after" photo --------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; within 0.5 % of the ellipsoid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def after_photo_problems(
    media: CheckedMedia,
    *,
    report_at: datetime,
    report_lat: float | None,
    report_lon: float | None,
    max_distance_m: float,
    clock_skew: timedelta = timedelta(0),
) -> list[str]:
    """Why this photo cannot prove an answer (empty when it can): it must say when it was
    taken, after the report (less ``clock_skew`` for a phone's clock), and where, within
    ``max_distance_m`` of the report. A report without coordinates (a hotline call with an
    address only) cannot be compared, so only the photo's own location is required."""
    problems: list[str] = []
    if media.taken_at is None:
        problems.append("after_photo_not_dated")
    elif media.taken_at < report_at - clock_skew:
        problems.append("after_photo_before_report")
    if media.latitude is None or media.longitude is None:
        problems.append("after_photo_no_location")
    elif report_lat is not None and report_lon is not None:
        far = distance_m(report_lat, report_lon, media.latitude, media.longitude)
        if far > max_distance_m:
            problems.append("after_photo_too_far")
    return problems


# --- storage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMedia:
    """Paths relative to the store's root (``private/ab/ab12….jpg``)."""

    private_path: str
    public_path: str | None
    public_type: str | None


class MediaStore:
    """Files by content: ``private/`` holds originals (staff only), ``public/`` the safe
    copies. Writes are atomic (a temporary file in the same directory, then ``os.replace``),
    so a reader never sees half a photo and a crash leaves no torn file; storing the same
    content again writes nothing."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, checked: CheckedMedia, original: bytes) -> StoredMedia:
        if hashlib.sha256(original).hexdigest() != checked.sha256:
            raise ValueError("the original does not match the checked media")
        sha = checked.sha256
        private = f"private/{sha[:2]}/{sha}.{EXTENSIONS[checked.media_type]}"
        self._write(private, original, mode=0o600)
        public: str | None = None
        if checked.public is not None and checked.public_type is not None:
            public = f"public/{sha[:2]}/{sha}.{EXTENSIONS[checked.public_type]}"
            self._write(public, checked.public, mode=0o644)
        return StoredMedia(private, public, checked.public_type if public else None)

    def _write(self, relative: str, data: bytes, *, mode: int) -> None:
        target = self.root / relative
        if target.is_file():
            return  # named by content: already there
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def private_file(self, relative: str) -> Path:
        return self._inside("private", relative)

    def public_file(self, relative: str) -> Path:
        return self._inside("public", relative)

    def open_private(self, relative: str) -> BinaryIO:
        return self.private_file(relative).open("rb")

    def open_public(self, relative: str) -> BinaryIO:
        return self.public_file(relative).open("rb")

    def _inside(self, area: Literal["private", "public"], relative: str) -> Path:
        """The file at ``relative`` if it lies inside ``root/area``; ``..``, absolute paths
        and symbolic links out of the area are refused as "not found" (no hint given)."""
        base = (self.root / area).resolve()
        if not relative or "\x00" in relative or Path(relative).is_absolute():
            raise ProblemError("not_found", detail="no such media file")
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(base) or candidate == base or not candidate.is_file():
            raise ProblemError("not_found", detail="no such media file")
        return candidate
