"""Photos built to hurt: absurd EXIF times and PNGs that decode far larger than they are."""
import io
import resource
import struct
import zlib

import pytest
from PIL import Image

from server.services import imaging
from server.services.exif import read_exif


def _jpeg_with_times(path, taken, offset):
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: taken, 0x9011: offset})
    Image.new("RGB", (32, 24)).save(path, "JPEG", exif=exif)
    return path


@pytest.mark.parametrize("taken, offset", [("9999:12:31 23:59:59", "-23:59"), ("0001:01:01 00:00:00", "+14:00")])
def test_exif_time_past_the_datetime_range_is_kept_as_text_only(tmp_path, taken, offset):
    # As a datetime it overflowed when stored in UTC: the upload answered 500.
    meta = read_exif(_jpeg_with_times(tmp_path / "t.jpg", taken, offset))
    assert "taken_at" not in meta and meta["taken_at_text"] == taken


def test_plausible_exif_time_is_still_read(tmp_path):
    meta = read_exif(_jpeg_with_times(tmp_path / "t.jpg", "2026:11:28 10:00:00", "+08:00"))
    assert meta["taken_at"].isoformat() == "2026-11-28T10:00:00+08:00"


def _png(path, width, height, rgb=False):
    """width×height black pixels, compressed to almost nothing (built row by row, never in memory)."""
    row = b"\x00" * (1 + (3 * width if rgb else (width + 7) // 8))
    z = zlib.compressobj(6)
    idat = b"".join(z.compress(row * 100) for _ in range(height // 100)) + z.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8 if rgb else 1, 2 if rgb else 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_a_png_too_big_to_decode_whole_is_refused(tmp_path):
    # 100 MP is within the pixel cap, but as RGB a PNG decodes whole to 300 MB.
    path = _png(tmp_path / "rgb.png", 10_000, 10_000, rgb=True)
    with pytest.raises(imaging.ImageRefused) as refused:
        imaging.make_derivatives(path, 120_000_000, 320, 1280)
    assert refused.value.code == "image_too_large"


def test_a_huge_1bit_png_is_shrunk_before_it_is_copied(tmp_path):
    # 12 kB, 100 MP: decoded once (100 MB), then shrunk; transposing and converting it to RGB first
    # took 570 MB. Measured in a fresh process-wide peak would be flaky, so measure the growth of
    # this process's peak and allow the one decode plus slack.
    path = _png(tmp_path / "bits.png", 10_000, 10_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    derived = imaging.make_derivatives(path, 120_000_000, 320, 1280)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert (derived.width, derived.height, derived.content_type) == (10_000, 10_000, "image/png")
    assert Image.open(io.BytesIO(derived.medium)).size == (1280, 1280)
    assert grown_mb < 250, grown_mb
