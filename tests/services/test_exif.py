"""EXIF reading: GPS, time taken and device agree with what exifread itself reads from the samples
(the conversion to signed decimal degrees is redone here independently); malformed or missing EXIF
never raises; HEIC works; absurd GPS values in a crafted JPEG are dropped."""
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import exifread
import pytest
from PIL import Image

from server.services.exif import read_exif

from ..helpers import SAMPLES

GPS_SAMPLES = sorted((SAMPLES / "gps").glob("*.jpg"))
ODD_SAMPLES = sorted((SAMPLES / "odd-exif").glob("*")) + [SAMPLES / "mobile" / "no_exif.jpg"]
HEIC = SAMPLES / "heic" / "IMG_5195.HEIC"
NOKIA = SAMPLES / "mobile" / "HMD_Nokia_8.3_5G.jpg"
GPS_IFD = 0x8825


def _tags(path):
    with open(path, "rb") as f:
        return exifread.process_file(f, details=False)


def _signed(tags, axis):
    """exifread's [deg, min, sec] ratios and N/S/E/W ref → signed decimal degrees."""
    deg, minutes, sec = (v.numerator / v.denominator for v in tags[f"GPS GPS{axis}"].values)
    value = deg + minutes / 60 + sec / 3600
    return -value if str(tags[f"GPS GPS{axis}Ref"]).strip() in ("S", "W") else value


def _crafted_jpeg(tmp_path, lat, lon, lat_ref="N", lon_ref="E"):
    """A small JPEG whose GPS IFD holds exactly these degrees."""
    exif = Image.Exif()
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = lat_ref, (float(lat), 0.0, 0.0)
    gps[3], gps[4] = lon_ref, (float(lon), 0.0, 0.0)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(buf, "JPEG", exif=exif.tobytes())
    path = tmp_path / f"gps_{lat}_{lon}.jpg"
    path.write_bytes(buf.getvalue())
    return path


def test_gps_samples_present():
    assert len(GPS_SAMPLES) >= 5


@pytest.mark.parametrize("path", GPS_SAMPLES, ids=lambda p: p.name)
def test_gps_matches_exifread(path):
    tags, meta = _tags(path), read_exif(path)
    assert meta["lat"] == pytest.approx(_signed(tags, "Latitude"), abs=1e-6)
    assert meta["lon"] == pytest.approx(_signed(tags, "Longitude"), abs=1e-6)


@pytest.mark.parametrize("path", GPS_SAMPLES, ids=lambda p: p.name)
def test_time_and_device_match_exifread(path):
    tags, meta = _tags(path), read_exif(path)
    text = str(tags["EXIF DateTimeOriginal"])
    assert meta["taken_at_text"] == text
    # No offset tag in these Nikon files: local time is read as Asia/Shanghai.
    assert meta["taken_at"] == datetime.strptime(text, "%Y:%m:%d %H:%M:%S").replace(
        tzinfo=ZoneInfo("Asia/Shanghai"))
    assert meta["taken_at"].utcoffset() == timedelta(hours=8)
    assert meta["make"] == str(tags["Image Make"]).strip()
    assert meta["model"] == str(tags["Image Model"]).strip()


def test_default_timezone_is_a_parameter():
    meta = read_exif(GPS_SAMPLES[0], default_tz="Europe/Rome")
    assert meta["taken_at"].utcoffset() == timedelta(hours=2)  # October 2008: CEST


def test_offset_tag_wins_over_default_timezone():
    tags, meta = _tags(NOKIA), read_exif(NOKIA)
    assert str(tags["EXIF OffsetTimeOriginal"]) == "+03:00"
    assert meta["taken_at"].utcoffset() == timedelta(hours=3)
    assert meta["lat"] == pytest.approx(_signed(tags, "Latitude"), abs=1e-6)
    assert meta["make"] == str(tags["Image Make"]).strip()


@pytest.mark.parametrize("path", ODD_SAMPLES, ids=lambda p: p.name)
def test_odd_exif_never_raises(path):
    meta = read_exif(path)
    assert isinstance(meta, dict)
    assert set(meta) <= {"lat", "lon", "taken_at", "taken_at_text", "make", "model", "orientation"}


def test_no_exif_is_empty():
    assert read_exif(SAMPLES / "mobile" / "no_exif.jpg") == {}


def test_corrupted_exif_still_gives_what_it_can():
    path = SAMPLES / "odd-exif" / "corrupted.jpg"
    tags, meta = _tags(path), read_exif(path)
    assert meta["make"] == str(tags["Image Make"]).strip()
    assert meta["taken_at_text"] == str(tags["EXIF DateTimeOriginal"])


@pytest.mark.parametrize("content", [b"", b"not an image at all", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM"])
def test_garbage_never_raises(tmp_path, content):
    path = tmp_path / "junk.jpg"
    path.write_bytes(content)
    assert read_exif(path) == {}


def test_missing_file_never_raises(tmp_path):
    assert read_exif(tmp_path / "gone.jpg") == {}


def test_heic_gps_and_aware_time():
    tags, meta = _tags(HEIC), read_exif(HEIC)
    assert meta["lat"] == pytest.approx(_signed(tags, "Latitude"), abs=1e-6)
    assert meta["lon"] == pytest.approx(_signed(tags, "Longitude"), abs=1e-6)
    assert meta["lon"] < 0  # a W reference
    assert meta["taken_at"].tzinfo is not None
    assert meta["taken_at"].utcoffset() == timedelta(hours=-5)
    assert meta["taken_at_text"] == str(tags["EXIF DateTimeOriginal"])


def test_crafted_valid_gps_is_read(tmp_path):
    meta = read_exif(_crafted_jpeg(tmp_path, 24.3672, 109.4895))
    assert meta["lat"] == pytest.approx(24.3672, abs=1e-6)
    assert meta["lon"] == pytest.approx(109.4895, abs=1e-6)


def test_crafted_southern_western_gps_is_negative(tmp_path):
    meta = read_exif(_crafted_jpeg(tmp_path, 33.5, 70.25, "S", "W"))
    assert (meta["lat"], meta["lon"]) == (pytest.approx(-33.5), pytest.approx(-70.25))


@pytest.mark.parametrize("lat, lon", [(200, 109.4895), (24.3672, 200), (0, 0)])
def test_absurd_gps_dropped(tmp_path, lat, lon):
    path = _crafted_jpeg(tmp_path, lat, lon)
    tags = _tags(path)
    assert _signed(tags, "Latitude") == pytest.approx(lat)  # the file really holds the value
    meta = read_exif(path)
    assert "lat" not in meta and "lon" not in meta
