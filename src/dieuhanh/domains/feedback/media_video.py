"""Citizen videos: MP4/QuickTime and WebM read by small parsers of our own, no external tools.

Why our own parsers: the only things we need from a video are its type, its length, where and
when it was recorded and a copy without that personal data. ffprobe/ffmpeg would be a large
native dependency that decodes hostile input; reading box and element headers with bounds
checks touches none of the media data and cannot be made to allocate more than the upload.

**Public copies.** Phones write the place of recording into ``moov/udta/©xyz`` (Android) or
``moov/meta`` (Apple's ``com.apple.quicktime.location.ISO6709`` key), sometimes XMP into a
top-level ``uuid`` box, and the time into ``mvhd``/``tkhd``/``mdhd``. Sample tables
(``stco``/``co64``) hold *absolute* file offsets into ``mdat``, so removing bytes before
``mdat`` (which is where ``moov`` sits in "fast start" files) would break playback. Rather
than dropping such boxes we overwrite them in place: the box becomes a ``free`` box of the
same size with zeroed contents, and the times are zeroed in place. Nothing moves, so every
offset stays valid whether ``moov`` comes before or after ``mdat``. This is safer than the
alternative (dropping bytes, only possible when ``moov`` follows ``mdat``) and keeps the
video publishable in both layouts. WebM is cleaned the same way: ``Tags``, ``Attachments``
and the ``Info`` date and title are overwritten with EBML ``Void`` elements of the same
length. When a file cannot be walked to its end (an EBML element of unknown size we cannot
follow), no public copy is made and the video stays staff-only.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
# ``ftyp`` major/compatible brands of still images (HEIF/AVIF) and of audio-only files
IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})
AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})
VIDEO_BRANDS = frozenset({b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"3gp4", b"3gp5"})
# Track kinds a public copy may keep. Other tracks (timed metadata "meta", dashcam and drone
# text tracks, GoPro telemetry) keep their samples in mdat, where GPS fixes cannot be
# overwritten without decoding them, so their videos get no public copy.
PUBLIC_HANDLERS = frozenset({b"vide", b"soun", b"tmcd"})
# boxes that may hold the place or owner of a recording, wherever they appear
SCRUB_BOXES = frozenset({b"udta", b"meta", b"uuid", b"XMP_"})
# boxes whose children we walk while scrubbing (containers of the ISO/QuickTime layout)
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex"})
MAX_DEPTH = 16
TIMED_BOXES = frozenset({b"mvhd", b"tkhd", b"mdhd"})
APPLE_LOCATION_KEY = b"com.apple.quicktime.location.ISO6709"


class VideoError(ValueError):
    """The video cannot be read (cut off, garbage); the message is a short English reason."""


class NotVideoError(VideoError):
    """The container is well formed but holds no video (an audio file, for instance)."""


@dataclass(frozen=True)
class VideoInfo:
    media_type: str
    duration: float | None
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    public: bytes | None


@dataclass(frozen=True)
class Box:
    type: bytes
    start: int  # offset of the box header
    body: int  # offset of the payload
    end: int  # offset just past the box


def iter_boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[Box]:
    """The boxes between ``start`` and ``end``; any size that does not fit is an error, so a
    truncated upload or garbage is refused instead of read past."""
    pos = start
    while pos < end:
        if end - pos < 8:
            raise VideoError("a box header is cut off")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise VideoError("a large box header is cut off")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:  # "to the end of the enclosing box"
            size = end - pos
        if size < header or pos + size > end:
            raise VideoError(f"box {kind!r} at {pos} does not fit in the file")
        yield Box(kind, pos, pos + header, pos + size)
        pos += size


def _child(data: bytes | bytearray, box: Box, kind: bytes) -> Box | None:
    return next((b for b in iter_boxes(data, box.body, box.end) if b.type == kind), None)


def _children(data: bytes | bytearray, box: Box, kind: bytes) -> list[Box]:
    return [b for b in iter_boxes(data, box.body, box.end) if b.type == kind]


def _meta_body(data: bytes | bytearray, meta: Box) -> int:
    """ISO ``meta`` is a full box (4 bytes of version and flags before its children);
    QuickTime's is not. Tell them apart by whether a plausible child header follows."""
    if meta.end - meta.body >= 8 and data[meta.body + 4 : meta.body + 8] == b"hdlr":
        return meta.body
    return meta.body + 4


def _timed(data: bytes | bytearray, box: Box) -> tuple[int, int, int, int]:
    """(offset of the times, their width, timescale, duration) of an mvhd or mdhd box."""
    if box.end - box.body < 4:
        raise VideoError(f"{box.type!r} is cut off")
    version = data[box.body]
    if version == 1:
        if box.end - box.body < 36:
            raise VideoError(f"{box.type!r} is cut off")
        timescale, duration = struct.unpack_from(">IQ", data, box.body + 20)
        return box.body + 4, 8, timescale, duration
    if box.end - box.body < 24:
        raise VideoError(f"{box.type!r} is cut off")
    timescale, duration = struct.unpack_from(">II", data, box.body + 12)
    if duration == 0xFFFFFFFF:
        duration = 0  # "indeterminate"
    return box.body + 4, 4, timescale, duration


def _seconds(timescale: int, duration: int) -> float | None:
    if timescale == 0 or duration == 0:
        return None
    return duration / timescale


def parse_iso6709(text: str) -> tuple[float, float] | None:
    """``+10.7626+106.6602+005.000/`` → (10.7626, 106.6602). Degrees, degrees-minutes and
    degrees-minutes-seconds forms are told apart by the digits before the point."""
    match = re.match(r"\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)", text)
    if match is None:
        return None
    try:
        lat = _iso6709_part(match.group(1), degree_digits=2)
        lon = _iso6709_part(match.group(2), degree_digits=3)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _iso6709_part(text: str, *, degree_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, fraction = text[1:].partition(".")
    frac = float("0." + fraction) if fraction else 0.0
    extra = len(whole) - degree_digits
    if extra == 0:
        value = int(whole) + frac
    elif extra == 2:
        value = int(whole[:degree_digits]) + (int(whole[degree_digits:]) + frac) / 60
    elif extra == 4:
        minutes = int(whole[degree_digits : degree_digits + 2])
        seconds = int(whole[degree_digits + 2 :]) + frac
        value = int(whole[:degree_digits]) + minutes / 60 + seconds / 3600
    else:
        raise ValueError(text)
    return sign * value


def _xyz_location(data: bytes | bytearray, udta: Box) -> tuple[float, float] | None:
    for box in iter_boxes(data, udta.body, udta.end):
        if box.type == b"\xa9xyz" and box.end - box.body > 4:
            (length,) = struct.unpack_from(">H", data, box.body)
            raw = bytes(data[box.body + 4 : min(box.end, box.body + 4 + length)])
            found = parse_iso6709(raw.decode("ascii", "replace"))
            if found:
                return found
    return None


def _apple_location(data: bytes | bytearray, meta: Box) -> tuple[float, float] | None:
    """Apple's ``meta``: ``keys`` lists names, ``ilst`` holds values under 1-based indexes."""
    body = _meta_body(data, meta)
    inner = Box(meta.type, meta.start, body, meta.end)
    keys_box, ilst = _child(data, inner, b"keys"), _child(data, inner, b"ilst")
    if keys_box is None or ilst is None or keys_box.end - keys_box.body < 8:
        return None
    (count,) = struct.unpack_from(">I", data, keys_box.body + 4)
    names: list[bytes] = []
    for entry in iter_boxes(data, keys_box.body + 8, keys_box.end):
        names.append(bytes(data[entry.body : entry.end]))
    if APPLE_LOCATION_KEY not in names[:count]:
        return None
    wanted = names.index(APPLE_LOCATION_KEY) + 1
    for item in iter_boxes(data, ilst.body, ilst.end):
        if int.from_bytes(item.type, "big") != wanted:
            continue
        value = _child(data, item, b"data")
        if value is not None and value.end - value.body > 8:
            text = bytes(data[value.body + 8 : value.end]).decode("utf-8", "replace")
            return parse_iso6709(text)
    return None


def _location(data: bytes | bytearray, moov: Box) -> tuple[float, float] | None:
    for box in iter_boxes(data, moov.body, moov.end):
        if box.type == b"udta":
            found = _xyz_location(data, box)
        elif box.type == b"meta":
            found = _apple_location(data, box)
        else:
            continue
        if found:
            return found
    return None


def _handlers(data: bytes | bytearray, moov: Box) -> list[bytes]:
    """The handler type of every track (``vide``, ``soun``, ``meta``…)."""
    found: list[bytes] = []
    for trak in _children(data, moov, b"trak"):
        mdia = _child(data, trak, b"mdia")
        hdlr = _child(data, mdia, b"hdlr") if mdia else None
        if hdlr is not None and hdlr.end - hdlr.body >= 12:
            found.append(bytes(data[hdlr.body + 8 : hdlr.body + 12]))
        else:
            found.append(b"")
    return found


def _duration(data: bytes | bytearray, moov: Box) -> float | None:
    """mvhd's duration; for fragmented files mvex/mehd's; else the longest track's mdhd."""
    mvhd = _child(data, moov, b"mvhd")
    if mvhd is None:
        raise VideoError("the movie header (mvhd) is missing")
    _, _, timescale, duration = _timed(data, mvhd)
    found = _seconds(timescale, duration)
    if found is not None:
        return found
    mvex = _child(data, moov, b"mvex")
    mehd = _child(data, mvex, b"mehd") if mvex else None
    if mehd is not None and mehd.end - mehd.body >= 8:
        wide = data[mehd.body] == 1 and mehd.end - mehd.body >= 12
        fragment = struct.unpack_from(">Q" if wide else ">I", data, mehd.body + 4)[0]
        found = _seconds(timescale, fragment)
        if found is not None:
            return found
    longest: float | None = None
    for trak in _children(data, moov, b"trak"):
        mdia = _child(data, trak, b"mdia")
        mdhd = _child(data, mdia, b"mdhd") if mdia else None
        if mdhd is not None:
            _, _, scale, length = _timed(data, mdhd)
            seconds = _seconds(scale, length)
            if seconds is not None and (longest is None or seconds > longest):
                longest = seconds
    return longest


def _created(data: bytes | bytearray, moov: Box) -> datetime | None:
    mvhd = _child(data, moov, b"mvhd")
    if mvhd is None:
        return None
    offset, width, _, _ = _timed(data, mvhd)
    seconds = int.from_bytes(data[offset : offset + width], "big")
    if seconds == 0:
        return None
    moment = MP4_EPOCH + timedelta(seconds=seconds)
    return moment if moment.year >= 2000 else None


def _scrub_box(out: bytearray, box: Box) -> None:
    """Turn ``box`` into a ``free`` box of the same size: nothing after it moves."""
    out[box.start + 4 : box.start + 8] = b"free"
    header = box.body - box.start
    out[box.start + header : box.end] = bytes(box.end - box.start - header)


def _scrub(out: bytearray, start: int, end: int, depth: int = 0) -> None:
    if depth > MAX_DEPTH:  # real files nest five deep; a crafted one could nest a million
        raise VideoError("the boxes nest too deeply")
    for box in iter_boxes(out, start, end):
        if box.type in SCRUB_BOXES:
            _scrub_box(out, box)
        elif box.type in TIMED_BOXES:
            offset, width, _, _ = _timed(out, box)
            out[offset : offset + 2 * width] = bytes(2 * width)  # creation, modification
        elif box.type in CONTAINERS:
            _scrub(out, box.body, box.end, depth + 1)


def sniff_iso(data: bytes) -> str | None:
    """The media type of an ISO BMFF / QuickTime file by its first box, or None."""
    if len(data) < 12:
        return None
    kind = data[4:8]
    if kind == b"ftyp":
        (size,) = struct.unpack_from(">I", data, 0)
        major = data[8:12]
        compatible = {data[i : i + 4] for i in range(16, min(size, len(data)) - 3, 4)}
        if major in IMAGE_BRANDS or (compatible & IMAGE_BRANDS and not compatible & VIDEO_BRANDS):
            return "image/avif" if major in (b"avif", b"avis") else "image/heic"
        if major in AUDIO_BRANDS:
            return "audio/mp4"
        return "video/quicktime" if major == b"qt  " else "video/mp4"
    if kind in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video/quicktime"  # QuickTime files from before ftyp existed
    return None


def check_iso(data: bytes, media_type: str) -> VideoInfo:
    """Read an MP4/QuickTime file (see the module notes). Raises :class:`VideoError`."""
    top = list(iter_boxes(data, 0, len(data)))
    moovs = [b for b in top if b.type == b"moov"]
    if len(moovs) != 1:
        raise VideoError("a video needs exactly one movie box (moov)")
    if not any(b.type == b"mdat" for b in top) and not any(b.type == b"moof" for b in top):
        raise VideoError("the video has no media data (mdat)")
    moov = moovs[0]
    handlers = _handlers(data, moov)
    if b"vide" not in handlers:
        raise NotVideoError("the file has no video track")
    duration = _duration(data, moov)
    location = _location(data, moov)
    out = bytearray(data)
    for box in top:
        if box.type in SCRUB_BOXES:
            _scrub_box(out, box)
    _scrub(out, moov.body, moov.end)
    return VideoInfo(
        media_type=media_type,
        duration=duration,
        taken_at=_created(data, moov),
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        public=bytes(out) if set(handlers) <= PUBLIC_HANDLERS else None,
    )


# --- WebM (EBML) -----------------------------------------------------------------------------

DOC_TYPE = 0x4282
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
DURATION = 0x4489
DATE_UTC = 0x4461
TITLE = 0x7BA9
CLUSTER = 0x1F43B675
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_TYPE = 0x83
TAGS = 0x1254C367
ATTACHMENTS = 0x1941A469
VOID = 0xEC
# Segment children: the elements that end a Cluster of unknown size
SEGMENT_CHILDREN = frozenset(
    {0x114D9B74, INFO, TRACKS, CLUSTER, 0x1C53BB6B, 0x1043A770, ATTACHMENTS, TAGS, VOID}
)
UNKNOWN = -1


def _vint(data: bytes | bytearray, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, width). IDs keep their marker
    bit; sizes drop it, and a size of all ones means "unknown" (streamed files)."""
    if pos >= len(data):
        raise VideoError("an element header is cut off")
    first = data[pos]
    width = 1
    while width <= 8 and not first & (0x80 >> (width - 1)):
        width += 1
    if width > 8 or pos + width > len(data):
        raise VideoError("an element header is not valid")
    value = int.from_bytes(data[pos : pos + width], "big")
    if keep_marker:
        return value, width
    value &= (1 << (7 * width)) - 1
    return (UNKNOWN if value == (1 << (7 * width)) - 1 else value), width


@dataclass(frozen=True)
class Element:
    id: int
    start: int
    body: int
    end: int  # len(data) bound for unknown sizes until the caller finds the real end


def _element(data: bytes | bytearray, pos: int, limit: int) -> Element:
    ident, id_width = _vint(data, pos, keep_marker=True)
    size, size_width = _vint(data, pos + id_width, keep_marker=False)
    body = pos + id_width + size_width
    if size == UNKNOWN:
        return Element(ident, pos, body, UNKNOWN)
    if body + size > limit:
        raise VideoError(f"element {ident:#x} at {pos} does not fit in the file")
    return Element(ident, pos, body, body + size)


def _elements(data: bytes | bytearray, start: int, end: int) -> Iterator[Element]:
    pos = start
    while pos < end:
        element = _element(data, pos, end)
        if element.end == UNKNOWN:
            raise VideoError("an element of unknown size where none is allowed")
        yield element
        pos = element.end


def _uint(data: bytes | bytearray, element: Element) -> int:
    return int.from_bytes(data[element.body : element.end], "big")


def _float(data: bytes | bytearray, element: Element) -> float | None:
    size = element.end - element.body
    if size == 4:
        return float(struct.unpack_from(">f", data, element.body)[0])
    if size == 8:
        return float(struct.unpack_from(">d", data, element.body)[0])
    return None


def _void(out: bytearray, element: Element) -> None:
    """Overwrite ``element`` with a Void element of exactly the same length."""
    total = element.end - element.start
    for width in range(1, 9):
        payload = total - 1 - width
        if 0 <= payload <= (1 << (7 * width)) - 2:
            out[element.start] = VOID
            marker = payload | (1 << (7 * width))
            out[element.start + 1 : element.start + 1 + width] = marker.to_bytes(width, "big")
            out[element.start + 1 + width : element.end] = bytes(payload)
            return
    raise VideoError("an element is too short to overwrite")


def _cluster_end(data: bytes | bytearray, cluster: Element) -> int:
    """Where a Cluster of unknown size ends: at the next Segment-level element or the end."""
    pos = cluster.body
    while pos < len(data):
        ident, _ = _vint(data, pos, keep_marker=True)
        if ident in SEGMENT_CHILDREN:
            return pos
        child = _element(data, pos, len(data))
        if child.end == UNKNOWN:
            raise VideoError("a cluster child of unknown size")
        pos = child.end
    return pos


def sniff_ebml(data: bytes) -> str | None:
    """``video/webm`` for a WebM file, ``video/x-matroska`` for other Matroska files (not
    accepted: they may carry any codec and attachment), None when it is not EBML at all."""
    if not data.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    try:
        header = _element(data, 0, len(data))
        if header.end == UNKNOWN:
            return "video/x-matroska"
        for element in _elements(data, header.body, header.end):
            if element.id == DOC_TYPE:
                doc_type = bytes(data[element.body : element.end]).rstrip(b"\x00")
                return "video/webm" if doc_type == b"webm" else "video/x-matroska"
    except VideoError:
        return "video/x-matroska"
    return "video/x-matroska"


def check_webm(data: bytes) -> VideoInfo:
    """Read a WebM file (already sniffed): its duration from Segment/Info and a public copy
    with tags, attachments and the recording date overwritten (see the module notes)."""
    header = _element(data, 0, len(data))
    if header.end == UNKNOWN:
        raise VideoError("the EBML header has no size")
    segment = _element(data, header.end, len(data))
    if segment.id != SEGMENT:
        raise VideoError("the WebM segment is missing")
    segment_end = len(data) if segment.end == UNKNOWN else segment.end
    out: bytearray | None = bytearray(data)
    duration: float | None = None
    video = False
    pos = segment.body
    while pos < segment_end:
        element = _element(data, pos, segment_end)
        end = element.end
        if end == UNKNOWN:
            if element.id != CLUSTER:
                out = None  # cannot be walked safely: no public copy
                break
            end = _cluster_end(data, element)
        if element.id == INFO:
            duration = _info(data, element, out)
        elif element.id == TRACKS:
            video = video or _has_video(data, element)
        elif element.id in (TAGS, ATTACHMENTS) and out is not None:
            _void(out, element)
        pos = end
    if not video:
        raise NotVideoError("the file has no video track")
    return VideoInfo(
        media_type="video/webm",
        duration=duration,
        taken_at=None,
        latitude=None,
        longitude=None,
        public=bytes(out) if out is not None else None,
    )


def _has_video(data: bytes | bytearray, tracks: Element) -> bool:
    for entry in _elements(data, tracks.body, tracks.end):
        if entry.id == TRACK_ENTRY:
            for child in _elements(data, entry.body, entry.end):
                if child.id == TRACK_TYPE and _uint(data, child) == 1:
                    return True
    return False


def _info(data: bytes | bytearray, info: Element, out: bytearray | None) -> float | None:
    scale, raw = 1_000_000, None
    for child in _elements(data, info.body, info.end):
        if child.id == TIMECODE_SCALE:
            scale = _uint(data, child)
        elif child.id == DURATION:
            raw = _float(data, child)
        elif child.id in (DATE_UTC, TITLE) and out is not None:
            _void(out, child)
    if raw is None or raw != raw or raw <= 0:  # absent, NaN or nonsense: unknown
        return None
    return raw * scale / 1e9
