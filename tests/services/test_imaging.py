"""Imaging: derivatives are upright for all eight EXIF orientations (checked on the pixels, not only
the aspect), carry no EXIF, respect the size limits; HEIC decodes; truncated files, decompression
bombs and unaccepted formats are refused with the right status and code; sniff() reads file heads."""
import functools
import io
import resource
import struct
import time
import zlib

import pytest
from PIL import Image, ImageChops, ImageStat

from server.config import Config
from server.services import imaging
from server.services.imaging import ImageRefused, make_derivatives

from ..helpers import SAMPLES

ORIENT = SAMPLES / "orientation"
HEIC = SAMPLES / "heic" / "IMG_5195.HEIC"
MAX_PIXELS, THUMB, MEDIUM = Config.PHOTO_MAX_PIXELS, Config.THUMB_PX, Config.MEDIUM_PX
T = Image.Transpose


def _derive(path, max_pixels=MAX_PIXELS):
    return make_derivatives(path, max_pixels, THUMB, MEDIUM)


@functools.lru_cache(maxsize=None)
def _derive_sample(path):
    """Derivatives of a read-only sample with the configured limits, computed once per run."""
    return _derive(path)


def _open(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _mad(a, b):
    """Mean absolute difference of two RGB images, 0–255."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def _refused(path, max_pixels=MAX_PIXELS):
    with pytest.raises(ImageRefused) as info:
        _derive(path, max_pixels)
    return info.value


def _png_bomb(width, height):
    """A valid 1-bit PNG of width×height, all black, deflated to about a thousandth of its size."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = (b"\x00" + b"\x00" * ((width + 7) // 8)) * 200
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(rows) for _ in range(height // 200)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def medium_of():
    """Medium derivative (decoded, RGB) of each orientation sample, computed once."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = _open(_derive_sample(ORIENT / f"{name}.jpg").medium).convert("RGB")
        return cache[name]
    return get


@pytest.mark.parametrize("n", range(1, 9))
def test_landscape_upright(n):
    result = _derive_sample(ORIENT / f"landscape_{n}.jpg")
    medium, thumb = _open(result.medium), _open(result.thumb)
    assert medium.width > medium.height and thumb.width > thumb.height
    assert result.width > result.height  # the displayed size


@pytest.mark.parametrize("n", range(1, 9))
def test_portrait_upright(n):
    result = _derive_sample(ORIENT / f"portrait_{n}.jpg")
    medium, thumb = _open(result.medium), _open(result.thumb)
    assert medium.height > medium.width and thumb.height > thumb.width
    assert result.height > result.width


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
@pytest.mark.parametrize("n", range(2, 9))
def test_pixels_match_unrotated_variant(medium_of, kind, n):
    base, got = medium_of(f"{kind}_1"), medium_of(f"{kind}_{n}")
    assert got.size == base.size
    right = _mad(base, got)
    # The samples differ only by the printed number: the right transform is close to orientation 1,
    # and every wrong transform of the same size is far from it.
    assert right < 25
    for wrong in (T.FLIP_LEFT_RIGHT, T.FLIP_TOP_BOTTOM, T.ROTATE_180):
        assert _mad(base, got.transpose(wrong)) > 2 * right + 10, wrong


def test_derivatives_have_no_exif():
    for path in [SAMPLES / "gps" / "DSCN0010.jpg", SAMPLES / "mobile" / "HMD_Nokia_8.3_5G.jpg",
                 ORIENT / "landscape_6.jpg", HEIC]:
        result = _derive_sample(path)
        for data in (result.thumb, result.medium):
            im = Image.open(io.BytesIO(data))
            assert im.format == "JPEG"
            exif = im.getexif()
            assert len(exif) == 0, path.name
            assert not exif.get_ifd(0x8825), path.name
            assert b"Exif\x00\x00" not in data[:65536]


def test_source_samples_do_have_exif():
    # The no-EXIF check above is meaningful: the sources carry GPS and orientation.
    assert Image.open(SAMPLES / "gps" / "DSCN0010.jpg").getexif().get_ifd(0x8825)
    assert Image.open(ORIENT / "landscape_6.jpg").getexif().get(0x0112) == 6


@pytest.mark.parametrize("path", [SAMPLES / "mobile" / "HMD_Nokia_8.3_5G.jpg",
                                  SAMPLES / "mobile" / "jolla.jpg", HEIC], ids=lambda p: p.name)
def test_size_limits(path):
    result = _derive_sample(path)
    thumb, medium = _open(result.thumb), _open(result.medium)
    assert max(thumb.size) <= THUMB and max(medium.size) <= MEDIUM
    assert max(medium.size) == MEDIUM  # big sources are scaled down to exactly the limit
    assert max(result.width, result.height) > MEDIUM  # the reported size is the original's


def test_small_image_not_enlarged():
    result = _derive(SAMPLES / "gps" / "DSCN0010.jpg")  # 640×480
    assert _open(result.medium).size == (640, 480)
    assert _open(result.thumb).size == (320, 240)
    assert (result.content_type, result.width, result.height) == ("image/jpeg", 640, 480)


def test_heic_decodes():
    result = _derive_sample(HEIC)
    assert result.content_type == "image/heic"
    src = Image.open(HEIC)
    assert (result.width, result.height) == src.size
    assert _open(result.medium).format == "JPEG"


@pytest.mark.parametrize("path", sorted((SAMPLES / "odd-exif").glob("*.jpg")), ids=lambda p: p.name)
def test_odd_exif_pixels_decode(path):
    result = _derive(path)
    assert result.content_type == "image/jpeg" and _open(result.medium).size[0] > 0


def test_png_and_webp_accepted(tmp_path):
    for fmt, ctype in (("PNG", "image/png"), ("WEBP", "image/webp")):
        path = tmp_path / f"x.{fmt.lower()}"
        Image.new("RGB", (400, 300), (10, 200, 30)).save(path, fmt)
        result = _derive(path)
        assert (result.content_type, result.width, result.height) == (ctype, 400, 300)


def test_transparent_png_on_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (50, 40), (255, 0, 0, 0)).save(path)
    medium = _open(_derive(path).medium)
    assert medium.mode == "RGB"
    assert all(c > 240 for c in medium.getpixel((25, 20)))


def test_truncated_jpeg_undecodable(tmp_path):
    data = (SAMPLES / "gps" / "DSCN0010.jpg").read_bytes()
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    err = _refused(path)
    assert (err.status, err.code) == (422, "undecodable_image")


def test_decompression_bomb_refused(tmp_path):
    path = tmp_path / "bomb.png"
    data = _png_bomb(30000, 30000)
    path.write_bytes(data)
    assert len(data) < 300_000 and struct.unpack(">II", data[16:24]) == (30000, 30000)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    err = _refused(path)
    assert (err.status, err.code) == (422, "image_too_large")
    assert time.perf_counter() - started < 1
    # 900 megapixels at one byte each would be ~900 MB: peak RSS must not move by anything like it.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 100 * 1024  # KiB


def test_app_pixel_cap(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored afterwards
    err = _refused(SAMPLES / "gps" / "DSCN0010.jpg", max_pixels=640 * 480 - 1)
    assert (err.status, err.code) == (422, "image_too_large")
    assert _derive(SAMPLES / "gps" / "DSCN0010.jpg", max_pixels=640 * 480).width == 640


def test_108_megapixel_photo_accepted(tmp_path):
    """config.py: 'PHOTO_MAX_PIXELS = 120_000_000  # 108 MP phone sensors pass'."""
    path = tmp_path / "108mp.jpg"
    Image.new("L", (12000, 9000), 128).save(path, quality=50)
    assert 12000 * 9000 <= MAX_PIXELS
    result = _derive(path)
    assert (result.width, result.height) == (12000, 9000)
    assert max(_open(result.medium).size) == MEDIUM


def test_gif_unsupported(tmp_path):
    path = tmp_path / "x.gif"
    Image.new("P", (40, 30)).save(path, "GIF")
    err = _refused(path)
    assert (err.status, err.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize("content", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"<!DOCTYPE html><html></html>", b""],
                         ids=["pdf", "html", "empty"])
def test_unopenable_file_refused(tmp_path, content):
    # The upload path sniffs first (415 for these heads, see test_sniff); a file that still cannot be
    # opened is treated as a broken image.
    path = tmp_path / "x.jpg"
    path.write_bytes(content)
    err = _refused(path)
    assert (err.status, err.code) == (422, "undecodable_image")


def _head(fmt):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, fmt)
    return buf.getvalue()[:32]


@pytest.mark.parametrize("head, expected", [
    (lambda: (SAMPLES / "gps" / "DSCN0010.jpg").read_bytes()[:32], "image/jpeg"),
    (lambda: _head("JPEG"), "image/jpeg"),
    (lambda: _head("PNG"), "image/png"),
    (lambda: _head("WEBP"), "image/webp"),
    (lambda: HEIC.read_bytes()[:32], "image/heic"),
    (lambda: b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
    (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
    (lambda: b"<!DOCTYPE html>\n<html lang=\"zh\">", None),
    (lambda: b"<html><body>", None),
    (lambda: _head("GIF"), None),
    (lambda: b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    (lambda: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", None),
    (lambda: b"", None),
], ids=["sample-jpeg", "jpeg", "png", "webp", "heic-sample", "heif-mif1", "pdf", "html-doctype",
        "html", "gif", "riff-wave", "mp4", "empty"])
def test_sniff(head, expected):
    assert imaging.sniff(head()) == expected
