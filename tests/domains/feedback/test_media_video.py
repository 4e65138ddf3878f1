"""Video uploads: hand-built MP4/QuickTime and WebM files, read for type, length, place and
time, and published without them (offsets into the media data must survive)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from dieuhanh.core.errors import ProblemError
from dieuhanh.domains.feedback.media import MediaLimits, check_upload
from dieuhanh.domains.feedback.media_video import iter_boxes, parse_iso6709

SAMPLES = b"\x00\x00\x00\x0cFRAME-ONE!!\x00\x00\x00\x0cFRAME-TWO!!"
CREATED = datetime(2026, 11, 20, 3, 15, 30, tzinfo=UTC)
MP4_SECONDS = int((CREATED - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
XYZ = b"+10.7626+106.6602+005.000/"
APPLE_KEY = b"com.apple.quicktime.location.ISO6709"
APPLE_XYZ = b"+21.0285+105.8542+012.000/"


# --- MP4 / QuickTime -------------------------------------------------------------------------


def box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(version: int = 0, flags: int = 0) -> bytes:
    return struct.pack(">I", (version << 24) | flags)


def mvhd(timescale: int, duration: int) -> bytes:
    return box(
        b"mvhd",
        full(),
        struct.pack(">IIII", MP4_SECONDS, MP4_SECONDS, timescale, duration),
        struct.pack(">IH", 0x00010000, 0x0100),
        bytes(10 + 36 + 24),
        struct.pack(">I", 2),
    )


def trak(handler: bytes, stco_offset: int, *, seconds: int = 12) -> bytes:
    tkhd = box(
        b"tkhd", full(flags=3), struct.pack(">IIII", MP4_SECONDS, MP4_SECONDS, 1, 0), bytes(84 - 20)
    )
    mdhd = box(
        b"mdhd",
        full(),
        struct.pack(">IIIIHH", MP4_SECONDS, MP4_SECONDS, 90000, seconds * 90000, 0x55C4, 0),
    )
    hdlr = box(b"hdlr", full(), bytes(4), handler, bytes(12), b"\x00")
    stco = box(b"stco", full(), struct.pack(">II", 1, stco_offset))
    stbl = box(b"stbl", stco)
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, box(b"minf", stbl)))


def udta() -> bytes:
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(XYZ), 0x15C7), XYZ)
    return box(b"udta", xyz, box(b"\xa9mak", struct.pack(">HH", 5, 0x15C7), b"Maker"))


def apple_meta() -> bytes:
    hdlr = box(b"hdlr", full(), bytes(4), b"mdta", bytes(12), b"\x00")
    keys = box(b"keys", full(), struct.pack(">I", 1), box(b"mdta", APPLE_KEY))
    value = box(b"data", struct.pack(">II", 1, 0), APPLE_XYZ)
    ilst = box(b"ilst", box((1).to_bytes(4, "big"), value))
    return box(b"meta", hdlr, keys, ilst)


def mp4(
    *,
    moov_first: bool,
    seconds: int = 12,
    brand: bytes = b"isom",
    handlers: tuple[bytes, ...] = (b"vide", b"soun"),
    location: bytes = b"xyz",
    mvhd_seconds: int | None = None,
) -> tuple[bytes, int]:
    """A minimal but well-formed file; returns it and the absolute offset of the samples."""
    ftyp = box(b"ftyp", brand, struct.pack(">I", 512), brand, b"mp41")
    mdat = box(b"mdat", SAMPLES)

    def moov(offset: int) -> bytes:
        extra = udta() if location == b"xyz" else apple_meta() if location == b"apple" else b""
        shown = seconds if mvhd_seconds is None else mvhd_seconds
        traks = b"".join(trak(h, offset, seconds=seconds) for h in handlers)
        return box(b"moov", mvhd(1000, shown * 1000), traks, extra)

    if moov_first:
        size = len(moov(0))
        offset = len(ftyp) + size + 8
        data = ftyp + moov(offset) + mdat
    else:
        offset = len(ftyp) + 8
        data = ftyp + mdat + moov(offset)
    assert data[offset : offset + len(SAMPLES)] == SAMPLES
    return data, offset


def stco_offsets(data: bytes) -> list[int]:
    found: list[int] = []

    def walk(start: int, end: int) -> None:
        for b in iter_boxes(data, start, end):
            if b.type == b"stco":
                found.append(struct.unpack_from(">I", data, b.body + 8)[0])
            elif b.type in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                walk(b.body, b.end)

    walk(0, len(data))
    return found


@pytest.mark.parametrize("moov_first", [True, False], ids=["moov-before-mdat", "moov-after-mdat"])
@pytest.mark.parametrize("location", [b"xyz", b"apple"])
def test_mp4_is_read_and_published_without_place_or_time(moov_first: bool, location: bytes) -> None:
    data, offset = mp4(moov_first=moov_first, location=location)
    checked = check_upload(data, filename="VID_0001.mp4", declared_type="video/mp4")

    assert checked.kind == "video"
    assert checked.media_type == "video/mp4"
    assert checked.duration == pytest.approx(12.0)
    assert checked.taken_at == CREATED
    expected = (10.7626, 106.6602) if location == b"xyz" else (21.0285, 105.8542)
    assert (checked.latitude, checked.longitude) == pytest.approx(expected)

    public = checked.public
    assert public is not None
    assert checked.public_type == "video/mp4"
    assert len(public) == len(data)
    for secret in (XYZ, APPLE_XYZ, APPLE_KEY, b"\xa9xyz", b"Maker", b"udta"):
        assert secret not in public
    assert MP4_SECONDS.to_bytes(4, "big") not in public  # creation times zeroed
    # nothing moved: every chunk offset still points at the same samples
    assert stco_offsets(public) == [offset, offset]
    assert public[offset : offset + len(SAMPLES)] == SAMPLES
    again = check_upload(public, filename="public.mp4", declared_type=None)
    assert again.latitude is None
    assert again.taken_at is None
    assert again.duration == pytest.approx(12.0)


def test_quicktime_brand_and_type_from_content() -> None:
    data, _ = mp4(moov_first=True, brand=b"qt  ")
    checked = check_upload(data, filename="IMG_1234.jpg", declared_type="image/jpeg")
    assert checked.media_type == "video/quicktime"
    assert checked.public_type == "video/quicktime"


def test_duration_falls_back_to_the_tracks() -> None:
    data, _ = mp4(moov_first=False, seconds=7, mvhd_seconds=0)
    assert check_upload(data, filename="v.mp4", declared_type=None).duration == pytest.approx(7.0)


def test_mp4_with_64_bit_mdat() -> None:
    data, offset = mp4(moov_first=True)
    start = offset - 8  # the mdat header
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + len(SAMPLES))
    wide = data[:start] + large + data[offset:]
    checked = check_upload(wide, filename="v.mp4", declared_type=None)
    assert checked.duration == pytest.approx(12.0)


def test_timed_metadata_track_keeps_the_video_staff_only() -> None:
    data, _ = mp4(moov_first=False, handlers=(b"vide", b"meta"))
    checked = check_upload(data, filename="dashcam.mp4", declared_type=None)
    assert checked.public is None
    assert checked.public_type is None
    assert checked.latitude == pytest.approx(10.7626)


def test_too_long_video() -> None:
    data, _ = mp4(moov_first=True, seconds=120)
    with pytest.raises(ProblemError) as caught:
        check_upload(data, filename="long.mp4", declared_type=None)
    assert caught.value.code == "video_too_long"
    assert caught.value.status == 422
    limits = MediaLimits(max_video_seconds=180)
    assert check_upload(data, filename="long.mp4", declared_type=None, limits=limits).duration


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: mp4(moov_first=False)[0][:-20], "media_corrupt"),  # moov cut off
        (lambda: mp4(moov_first=True)[0][:-5], "media_corrupt"),  # mdat cut off
        (lambda: mp4(moov_first=True)[0][:40] + b"\xff" * 64, "media_corrupt"),
        (lambda: box(b"ftyp", b"isom", bytes(4)) + box(b"mdat", SAMPLES), "media_corrupt"),
        (lambda: mp4(moov_first=True, handlers=(b"soun",))[0], "media_type_not_allowed"),
        (lambda: mp4(moov_first=True, brand=b"M4A ")[0], "media_type_not_allowed"),
        (lambda: mp4(moov_first=True, brand=b"heic")[0], "media_type_not_allowed"),
    ],
    ids=["moov-cut", "mdat-cut", "garbage", "no-moov", "audio-track", "m4a", "heic"],
)
def test_bad_mp4(make: object, code: str) -> None:
    assert callable(make)
    with pytest.raises(ProblemError) as caught:
        check_upload(make(), filename="bad.mp4", declared_type="video/mp4")
    assert caught.value.code == code


def test_video_size_limit() -> None:
    data, _ = mp4(moov_first=True)
    limits = MediaLimits(max_video_bytes=len(data) - 1)
    with pytest.raises(ProblemError) as caught:
        check_upload(data, filename="v.mp4", declared_type=None, limits=limits)
    assert caught.value.code == "media_too_large"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+10.7626+106.6602/", (10.7626, 106.6602)),
        ("-33.8688+151.2093+010.000/", (-33.8688, 151.2093)),
        ("+1045.600+10639.600/", (10.76, 106.66)),
        ("+104536+1063936/", (10.76, 106.66)),
        ("+95.0+106.0/", None),
        ("+00.0000+000.0000/", None),
        ("nonsense", None),
    ],
)
def test_iso6709(text: str, expected: tuple[float, float] | None) -> None:
    found = parse_iso6709(text)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


# --- WebM ------------------------------------------------------------------------------------

UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def size(n: int) -> bytes:
    return bytes([0x80 | n]) if n < 127 else (0x0100000000000000 | n).to_bytes(8, "big")


def el(ident: int, *parts: bytes, unknown: bool = False) -> bytes:
    payload = b"".join(parts)
    head = ident.to_bytes((ident.bit_length() + 7) // 8, "big")
    return head + (UNKNOWN_SIZE if unknown else size(len(payload))) + payload


def uint(ident: int, value: int) -> bytes:
    return el(ident, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def webm(
    *,
    seconds: float = 12.0,
    doc_type: bytes = b"webm",
    track_type: int = 1,
    streamed: bool = False,
    unknown_tags: bool = False,
) -> bytes:
    header = el(
        0x1A45DFA3,
        uint(0x4286, 1),
        uint(0x42F7, 1),
        uint(0x42F2, 4),
        uint(0x42F3, 8),
        el(0x4282, doc_type),
        uint(0x4287, 4),
        uint(0x4285, 2),
    )
    info = el(
        0x1549A966,
        uint(0x2AD7B1, 1_000_000),
        el(0x4489, struct.pack(">d", seconds * 1000)),
        el(0x4D80, b"test-muxer"),
        el(0x5741, b"test-writer"),
        el(0x4461, struct.pack(">q", 815_000_000_000_000_000)),
        el(0x7BA9, "Nhà của tôi, 0912345678".encode()),
    )
    tracks = el(0x1654AE6B, el(0xAE, uint(0xD7, 1), uint(0x83, track_type), el(0x86, b"V_VP8")))
    cluster = el(
        0x1F43B675, uint(0xE7, 0), el(0xA3, b"\x81\x00\x00\x80FRAME-DATA"), unknown=streamed
    )
    tag = el(0x7373, el(0x67C8, el(0x45A3, b"LOCATION"), el(0x4487, XYZ)))
    tags = el(0x1254C367, tag, unknown=unknown_tags)
    return header + el(0x18538067, info, tracks, cluster, tags, unknown=streamed)


@pytest.mark.parametrize("streamed", [False, True], ids=["sized", "streamed"])
def test_webm_is_read_and_published_without_tags(streamed: bool) -> None:
    data = webm(streamed=streamed)
    checked = check_upload(data, filename="clip.webm", declared_type="video/webm")
    assert checked.media_type == "video/webm"
    assert checked.duration == pytest.approx(12.0)
    public = checked.public
    assert public is not None
    assert checked.public_type == "video/webm"
    assert len(public) == len(data)
    for secret in (XYZ, b"LOCATION", b"0912345678"):
        assert secret not in public
    assert b"FRAME-DATA" in public
    assert b"test-writer" in public
    again = check_upload(public, filename="public.webm", declared_type=None)
    assert again.duration == pytest.approx(12.0)


def test_webm_that_cannot_be_walked_stays_staff_only() -> None:
    checked = check_upload(webm(unknown_tags=True), filename="c.webm", declared_type=None)
    assert checked.public is None
    assert checked.duration == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (webm(seconds=61), "video_too_long"),
        (webm(doc_type=b"matroska"), "media_type_not_allowed"),
        (webm(track_type=2), "media_type_not_allowed"),
        (webm()[:-30], "media_corrupt"),
        (b"\x1a\x45\xdf\xa3" + b"\xff" * 40, "media_type_not_allowed"),
    ],
    ids=["too-long", "matroska", "audio-only", "cut-off", "garbage-header"],
)
def test_bad_webm(data: bytes, code: str) -> None:
    with pytest.raises(ProblemError) as caught:
        check_upload(data, filename="bad.webm", declared_type="video/webm")
    assert caught.value.code == code


def test_deeply_nested_boxes_are_refused_not_recursed() -> None:
    data, _ = mp4(moov_first=False)
    nested = box(b"free")
    for _ in range(200):
        nested = box(b"trak", nested)
    moov_at = data.index(b"moov") - 4
    moov_size = struct.unpack_from(">I", data, moov_at)[0]
    grown = data[:moov_at] + struct.pack(">I", moov_size + len(nested)) + data[moov_at + 4 :]
    with pytest.raises(ProblemError) as caught:
        check_upload(grown + nested, filename="deep.mp4", declared_type=None)
    assert caught.value.code == "media_corrupt"
