"""Photo uploads: type by content, limits, EXIF time and place, metadata-free public copies,
the answer's "after" photo checks and the content-addressed store. Real files made by Pillow."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import struct
import threading
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.i18n import gettext
from dieuhanh.domains.feedback import media
from dieuhanh.domains.feedback.media import (
    CheckedMedia,
    MediaLimits,
    MediaStore,
    Upload,
    after_photo_problems,
    check_upload,
    check_uploads,
    distance_m,
)

RED, BLUE = (255, 0, 0), (0, 0, 255)
NOISE = random.Random(5)  # garbage, but the same garbage on every run
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
    b'02/22-rdf-syntax-ns#"><rdf:Description exif:GPSLatitude="10,45.6N"/></rdf:RDF>'
    b"</x:xmpmeta>"
)


def exif_with(
    *,
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
    lat: tuple[float, float, float] | None = None,
    lat_ref: str = "N",
    lon: tuple[float, float, float] | None = None,
    lon_ref: str = "E",
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone Maker"
    exif[ExifTags.Base.Model] = "Secret Phone 9"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    inner = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        inner[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        inner[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
        gps[ExifTags.GPS.GPSLatitude] = lat
        gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
        gps[ExifTags.GPS.GPSLongitude] = lon
    return exif


def two_tone(size: tuple[int, int] = (300, 200)) -> Image.Image:
    """Top half red, bottom half blue: tells which way up a picture is."""
    im = Image.new("RGB", size, RED)
    im.paste(BLUE, (0, size[1] // 2, size[0], size[1]))
    return im


def jpeg(im: Image.Image | None = None, **save: object) -> bytes:
    buffer = io.BytesIO()
    (im or two_tone()).save(buffer, "JPEG", quality=95, **save)
    return buffer.getvalue()


def encode(im: Image.Image, fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **save)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """What a phone sends: turned sideways (orientation 6), dated, located, with XMP, an ICC
    profile and a comment."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = exif_with(
        orientation=6,
        taken="2026:11:20 10:15:30",
        lat=(10.0, 45.0, 36.0),
        lon=(106.0, 39.0, 36.0),
    )
    return jpeg(exif=exif, xmp=XMP, icc_profile=srgb, comment=b"Nguyen Van A, 0912345678")


def problem(
    data: bytes, filename: str = "upload.jpg", limits: MediaLimits = MediaLimits()
) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        check_upload(data, filename=filename, declared_type=None, limits=limits)
    return caught.value


def assert_no_metadata(public: bytes) -> Image.Image:
    reopened = Image.open(io.BytesIO(public))
    assert len(reopened.getexif()) == 0
    assert {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"} & set(
        reopened.info
    ) == set()
    for secret in (b"Exif", b"xmpmeta", b"Secret Phone", b"0912345678", b"Phone Maker"):
        assert secret not in public
    return reopened


# --- photos ----------------------------------------------------------------------------------


def test_phone_jpeg_is_read_and_its_public_copy_is_clean_and_upright() -> None:
    data = phone_photo()
    checked = check_upload(data, filename="IMG_0001.JPG", declared_type="image/jpeg")

    assert checked.kind == "image"
    assert checked.media_type == "image/jpeg"
    assert checked.size == len(data)
    assert len(checked.sha256) == 64
    assert (checked.width, checked.height) == (200, 300)  # as shown: turned a quarter
    assert checked.taken_at == datetime(2026, 11, 20, 3, 15, 30, tzinfo=UTC)  # 10:15 in Hà Nội
    assert checked.latitude == pytest.approx(10.76)
    assert checked.longitude == pytest.approx(106.66)
    assert checked.public is not None
    assert checked.public_type == "image/jpeg"

    public = assert_no_metadata(checked.public)
    assert public.format == "JPEG"
    assert public.size == (200, 300)
    # orientation 6 turns the picture clockwise: the red top ends up on the right
    rgb = public.convert("RGB")
    left, right = rgb.getpixel((20, 150)), rgb.getpixel((180, 150))
    assert isinstance(left, tuple)
    assert isinstance(right, tuple)
    assert left[2] > 200
    assert left[0] < 60
    assert right[0] > 200
    assert right[2] < 60


def test_png_with_alpha_text_and_exif_keeps_alpha_and_loses_the_rest() -> None:
    im = Image.new("RGBA", (64, 32), (0, 128, 0, 100))
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Nguyen Van A, 0912345678")
    data = encode(im, "PNG", pnginfo=text, exif=exif_with(taken="2026:01:02 03:04:05"))

    checked = check_upload(data, filename="screenshot.png", declared_type="image/png")
    assert checked.media_type == "image/png"
    assert checked.taken_at == datetime(2026, 1, 1, 20, 4, 5, tzinfo=UTC)
    assert checked.public is not None
    assert checked.public_type == "image/png"
    public = assert_no_metadata(checked.public)
    assert public.mode == "RGBA"
    assert "Author" not in public.info
    assert public.getpixel((5, 5)) == (0, 128, 0, 100)


def test_webp_is_accepted_and_cleaned() -> None:
    exif = exif_with(taken="2026:03:04 05:06:07", lat=(21.0, 1.0, 42.0), lon=(105.0, 51.0, 15.0))
    data = encode(two_tone(), "WEBP", exif=exif, xmp=XMP, quality=90)
    checked = check_upload(data, filename="a.webp", declared_type=None)
    assert checked.media_type == "image/webp"
    assert checked.latitude == pytest.approx(21.0283333)
    assert checked.longitude == pytest.approx(105.8541667)
    assert checked.public is not None
    assert checked.public_type == "image/webp"
    assert assert_no_metadata(checked.public).format == "WEBP"


def test_large_photo_is_downscaled_for_the_public() -> None:
    data = jpeg(Image.linear_gradient("L").resize((3000, 1500)).convert("RGB"))
    checked = check_upload(data, filename="big.jpg", declared_type=None)
    assert (checked.width, checked.height) == (3000, 1500)
    assert checked.public is not None
    assert Image.open(io.BytesIO(checked.public)).size == (2048, 1024)
    small = check_upload(
        data, filename="big.jpg", declared_type=None, limits=MediaLimits(public_max_side=500)
    )
    assert small.public is not None
    assert Image.open(io.BytesIO(small.public)).size == (500, 250)


def test_type_comes_from_the_content_not_the_name_or_declared_type() -> None:
    data = encode(two_tone(), "PNG")
    checked = check_upload(data, filename="photo.jpg", declared_type="image/jpeg")
    assert checked.media_type == "image/png"


@pytest.mark.parametrize(
    ("lat_ref", "lon_ref", "lat", "lon"),
    [
        ("N", "E", 10.5, 106.25),
        ("S", "E", -10.5, 106.25),
        ("N", "W", 10.5, -106.25),
        ("S", "W", -10.5, -106.25),
    ],
)
def test_gps_hemispheres(lat_ref: str, lon_ref: str, lat: float, lon: float) -> None:
    exif = exif_with(
        lat=(10.0, 30.0, 0.0), lat_ref=lat_ref, lon=(106.0, 15.0, 0.0), lon_ref=lon_ref
    )
    checked = check_upload(jpeg(exif=exif), filename="g.jpg", declared_type=None)
    assert checked.latitude == pytest.approx(lat)
    assert checked.longitude == pytest.approx(lon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ((10.0, 75.0, 0.0), (106.0, 0.0, 0.0)),  # 75 minutes
        ((95.0, 0.0, 0.0), (106.0, 0.0, 0.0)),  # beyond the pole
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),  # "no fix"
    ],
)
def test_impossible_gps_is_ignored(
    lat: tuple[float, float, float], lon: tuple[float, float, float]
) -> None:
    checked = check_upload(
        jpeg(exif=exif_with(lat=lat, lon=lon)), filename="g.jpg", declared_type=None
    )
    assert (checked.latitude, checked.longitude) == (None, None)


def test_photo_without_exif_has_no_time_or_place() -> None:
    checked = check_upload(jpeg(), filename="plain.jpg", declared_type=None)
    assert (checked.taken_at, checked.latitude, checked.longitude) == (None, None, None)
    assert (checked.width, checked.height) == (300, 200)


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2026:11:20 10:00:00", "+09:00", datetime(2026, 11, 20, 1, 0, tzinfo=UTC)),
        ("2026:11:20 10:00:00", None, datetime(2026, 11, 20, 3, 0, tzinfo=UTC)),
        ("    :  :     :  :  ", None, None),
        ("2026:13:45 10:00:00", None, None),
    ],
)
def test_taken_at(taken: str, offset: str | None, expected: datetime | None) -> None:
    checked = check_upload(
        jpeg(exif=exif_with(taken=taken, offset=offset)), filename="t.jpg", declared_type=None
    )
    assert checked.taken_at == expected


# --- bad uploads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "invoice.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "photo.jpg"),
        (b"\x00garbage" + NOISE.randbytes(4096), "photo.jpg"),
        (encode(two_tone(), "GIF"), "anim.gif"),
        (encode(two_tone(), "BMP"), "photo.jpg"),
    ],
)
def test_unsupported_content_is_refused(data: bytes, filename: str) -> None:
    error = problem(data, filename)
    assert error.code == "media_type_not_allowed"
    assert error.status == 415
    assert error.detail is not None
    assert filename in error.detail


def test_too_big_is_refused_before_decoding() -> None:
    data = phone_photo()
    error = problem(data, limits=MediaLimits(max_photo_bytes=len(data) - 1))
    assert error.code == "media_too_large"
    assert error.status == 413
    # bigger than anything accepted: refused whatever it is, without looking inside
    huge = b"\xff\xd8\xff" + bytes(2048)
    error = problem(huge, limits=MediaLimits(max_photo_bytes=1000, max_video_bytes=1000))
    assert error.code == "media_too_large"


@pytest.mark.parametrize(
    "data",
    [
        jpeg(Image.effect_noise((2400, 1800), 60).convert("RGB"))[:150_000],  # cut off
        jpeg()[: len(jpeg()) // 2],
        b"\xff\xd8\xff\xe0" + NOISE.randbytes(3000),  # a JPEG start, then garbage
        b"\x89PNG\r\n\x1a\n" + NOISE.randbytes(100),
        b"",
    ],
    ids=["truncated-large", "truncated-small", "jpeg-garbage", "png-garbage", "empty"],
)
def test_corrupt_images_are_refused(data: bytes) -> None:
    error = problem(data)
    assert error.code == "media_corrupt"
    assert error.status == 422


def test_png_with_a_broken_checksum_is_corrupt() -> None:
    data = bytearray(encode(two_tone(), "PNG"))
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    assert problem(bytes(data), "x.png").code == "media_corrupt"


def png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 6_000)])
def test_decompression_bomb_is_too_large(size: tuple[int, int]) -> None:
    data = png_declaring(*size)
    assert len(data) < 200
    error = problem(data, "bomb.png")
    assert error.code == "media_too_large"
    assert error.detail is not None
    assert "pixels" in error.detail


def test_error_codes_have_statuses_and_vietnamese_titles() -> None:
    expected = {
        "media_type_not_allowed": 415,
        "media_too_large": 413,
        "media_corrupt": 422,
        "media_too_many": 422,
        "video_too_long": 422,
    }
    for code, status in expected.items():
        assert CATALOG[code].status == status
        title = CATALOG[code].title
        assert gettext(title, "vi") != title
        assert gettext(title, "en") == title
    for message in media.AFTER_PHOTO_MESSAGES.values():
        assert gettext(message, "vi") != message


def test_at_most_five_photos_per_report() -> None:
    photo = Upload(jpeg(), "a.jpg", "image/jpeg")
    assert len(check_uploads([photo] * 5)) == 5
    with pytest.raises(ProblemError) as caught:
        check_uploads([photo] * 6)
    assert caught.value.code == "media_too_many"
    with pytest.raises(ProblemError) as caught:
        check_uploads([photo] * 3, limits=MediaLimits(max_photos=2, max_videos=1))
    assert caught.value.code == "media_too_many"
    with pytest.raises(ProblemError) as caught:
        check_uploads([photo, Upload(b"%PDF-1.4", "b.pdf")])
    assert caught.value.code == "media_type_not_allowed"


# --- the answer's "after" photo --------------------------------------------------------------


def located(taken: datetime | None, lat: float | None, lon: float | None) -> CheckedMedia:
    return CheckedMedia("image", "image/jpeg", 1, "0" * 64, 1, 1, None, taken, lat, lon, None, None)


def test_distance() -> None:
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)
    assert distance_m(10.7769, 106.7009, 10.7769, 106.7009) == 0
    hanoi_hcmc = distance_m(21.0285, 105.8542, 10.7769, 106.7009)
    assert 1_130_000 < hanoi_hcmc < 1_145_000
    assert distance_m(10.7769, 106.7009, 21.0285, 105.8542) == pytest.approx(hanoi_hcmc)


def test_after_photo_checks() -> None:
    report_at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    here = (10.7769, 106.7009)
    near = (10.7770, 106.7010)  # about 15 m away
    later = report_at + timedelta(hours=3)

    def check(photo: CheckedMedia, clock_skew: timedelta = timedelta(0)) -> list[str]:
        return after_photo_problems(
            photo,
            report_at=report_at,
            report_lat=here[0],
            report_lon=here[1],
            max_distance_m=100,
            clock_skew=clock_skew,
        )

    assert check(located(later, *near)) == []
    assert check(located(None, *near)) == ["after_photo_not_dated"]
    assert check(located(report_at - timedelta(minutes=1), *near)) == ["after_photo_before_report"]
    assert (
        check(located(report_at - timedelta(minutes=1), *near), clock_skew=timedelta(minutes=5))
        == []
    )
    assert check(located(later, None, None)) == ["after_photo_no_location"]
    assert check(located(later, 10.79, 106.7009)) == ["after_photo_too_far"]
    assert check(located(None, None, None)) == ["after_photo_not_dated", "after_photo_no_location"]
    # a report with an address only: the photo must be located, but nothing to compare with
    no_place = after_photo_problems(
        located(later, 10.79, 106.7),
        report_at=report_at,
        report_lat=None,
        report_lon=None,
        max_distance_m=100,
    )
    assert no_place == []


def test_after_photo_checks_read_a_real_photo() -> None:
    data = phone_photo()  # 2026-11-20 10:15:30 in Hà Nội, at 10.76, 106.66
    checked = check_upload(data, filename="after.jpg", declared_type=None)
    before = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert (
        after_photo_problems(
            checked, report_at=before, report_lat=10.7601, report_lon=106.6601, max_distance_m=50
        )
        == []
    )
    assert after_photo_problems(
        checked,
        report_at=before + timedelta(hours=1),
        report_lat=10.80,
        report_lon=106.66,
        max_distance_m=50,
    ) == ["after_photo_before_report", "after_photo_too_far"]


# --- the store -------------------------------------------------------------------------------


def test_store_saves_private_and_public_copies(tmp_path: Path) -> None:
    data = phone_photo()
    checked = check_upload(data, filename="a.jpg", declared_type=None)
    store = MediaStore(tmp_path)
    stored = store.save(checked, data)
    sha = checked.sha256
    assert stored.private_path == f"private/{sha[:2]}/{sha}.jpg"
    assert stored.public_path == f"public/{sha[:2]}/{sha}.jpg"
    assert stored.public_type == "image/jpeg"
    with store.open_private(stored.private_path) as fh:
        assert fh.read() == data
    with store.open_public(stored.public_path) as fh:
        assert fh.read() == checked.public
    assert (tmp_path / stored.private_path).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / stored.public_path).stat().st_mode & 0o777 == 0o644

    first = (tmp_path / stored.private_path).stat()
    again = store.save(checked, data)
    assert again == stored
    assert (tmp_path / stored.private_path).stat().st_mtime_ns == first.st_mtime_ns
    assert [p.name for p in tmp_path.rglob(".*")] == []  # no temporary files left
    with pytest.raises(ValueError, match="does not match"):
        store.save(checked, data + b"x")


def test_store_without_public_copy(tmp_path: Path) -> None:
    data = jpeg()
    checked = check_upload(data, filename="a.jpg", declared_type=None)
    staff_only = CheckedMedia(**{**checked.__dict__, "public": None, "public_type": None})
    stored = MediaStore(tmp_path).save(staff_only, data)
    assert stored.public_path is None
    assert not (tmp_path / "public").exists()


def test_store_writes_are_atomic_for_readers(tmp_path: Path) -> None:
    """A reader polling the target never sees a partly written file."""
    data = os.urandom(24 * 1024 * 1024)
    checked = CheckedMedia(
        "video",
        "video/mp4",
        len(data),
        hashlib.sha256(data).hexdigest(),
        None,
        None,
        10.0,
        None,
        None,
        None,
        None,
        None,
    )
    target = tmp_path / "private" / checked.sha256[:2] / f"{checked.sha256}.mp4"
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                seen.append(target.stat().st_size)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        MediaStore(tmp_path).save(checked, data)
    finally:
        done.set()
        watcher.join()
    assert target.stat().st_size == len(data)
    assert set(seen) <= {len(data)}


def test_store_refuses_paths_outside_its_area(tmp_path: Path) -> None:
    data = jpeg()
    checked = check_upload(data, filename="a.jpg", declared_type=None)
    store = MediaStore(tmp_path / "media")
    stored = store.save(checked, data)
    assert stored.public_path is not None
    (tmp_path / "secret.txt").write_text("secret")
    link = tmp_path / "media" / "public" / "link.jpg"
    link.symlink_to(tmp_path / "media" / stored.private_path)

    refused = [
        (store.open_private, "../secret.txt"),
        (store.open_private, "private/../../secret.txt"),
        (store.open_private, str(tmp_path / "secret.txt")),
        (store.open_private, ""),
        (store.open_private, "private"),
        (store.open_public, stored.private_path),  # an original is not public
        (store.open_public, "public/link.jpg"),  # a link into the private area
        (store.open_public, "public/00/missing.jpg"),
        (store.open_private, "private/a\x00b"),
    ]
    for opener, relative in refused:
        with pytest.raises(ProblemError) as caught:
            opener(relative)
        assert caught.value.code == "not_found"
    with store.open_private(stored.private_path) as fh:
        assert fh.read() == data
