"""Photo upload (PUT /api/reports/<id>/photos/<photo id>) and download (GET /api/photos/<sha>/<variant>).

Ground truth for EXIF and image geometry is what exifread and Pillow read from the sample files.
"""
import hashlib
import http.client
import io
import json
import struct
import threading
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import exifread
import pytest
from PIL import Image
from werkzeug.serving import make_server

from server.services.photo_store import get_store

from ..helpers import (SAMPLES, case_body, declare, generated_jpeg, put_case_with_photos,
                       sample)

GPS_SAMPLES = sorted(p.relative_to(SAMPLES).as_posix() for p in (SAMPLES / "gps").glob("*.jpg"))
ODD_EXIF_SAMPLES = sorted(p.relative_to(SAMPLES).as_posix()
                          for p in (SAMPLES / "odd-exif").iterdir() if p.is_file())
ROTATED_SAMPLES = [f"orientation/{shape}_{n}.jpg" for shape in ("landscape", "portrait")
                   for n in (6, 8)]
HEIC = "heic/IMG_5195.HEIC"
CST = timezone(timedelta(hours=8))


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    from server.services import auth
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


def store_root(app):
    return Path(app.config["PHOTO_STORE"])


def blob_files(app):
    blobs = store_root(app) / "blobs"
    return sorted(p for p in blobs.rglob("*") if p.is_file()) if blobs.exists() else []


def derived_files(app):
    derived = store_root(app) / "derived"
    return sorted(p for p in derived.rglob("*") if p.is_file()) if derived.exists() else []


def tmp_files(app):
    tmp = store_root(app) / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def declare_case(client, headers, decls, **extra):
    """PUT a case declaring these photos (not uploaded); returns the case id."""
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body("a1-piling", decls, **extra),
                   headers=headers)
    assert r.status_code == 201, r.get_json()
    return case_id


def upload(client, headers, case_id, photo_id, data, content_type="image/jpeg", **kw):
    hdrs = dict(headers)
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    return client.put(f"/api/reports/{case_id}/photos/{photo_id}", data=data, headers=hdrs, **kw)


def get_case(client, headers, case_id):
    r = client.get(f"/api/reports/{case_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def photo_of(case, photo_id):
    return next(p for p in case["photos"] if p["id"] == str(photo_id))


def assert_error(r, status, code=None):
    """The project's JSON envelope with this status (and code)."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    body = r.get_json()
    assert body is not None, r.get_data(as_text=True)[:500]
    assert set(body) == {"code", "message", "errors"}, body
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_nothing_stored(client, app, headers, case_id, photo_id):
    """A refused upload leaves the photo missing and no original, derivative or temp file."""
    case = get_case(client, headers, case_id)
    assert str(photo_id) in [str(m) for m in case["missing_photos"]]
    photo = photo_of(case, photo_id)
    assert photo["received"] is False
    assert photo["urls"] is None
    assert blob_files(app) == []
    assert derived_files(app) == []
    assert tmp_files(app) == []


def exifread_tags(data):
    return exifread.process_file(io.BytesIO(data), details=False)


def dms(tag, ref):
    d, m, s = (float(v.num) / float(v.den) for v in tag.values)
    value = d + m / 60 + s / 3600
    return -value if str(ref.printable).strip() in ("S", "W") else value


def png_claiming(width, height):
    """A tiny valid PNG whose header claims width×height pixels (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    assert data[12:16] == b"IHDR"
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


# --- storing ---------------------------------------------------------------------------------

def test_upload_stores_photo_and_replay_is_200(client, app, inspector):
    data = sample("gps/DSCN0010.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    case = get_case(client, inspector, case_id)
    assert case["missing_photos"] == [d["id"]]

    r = upload(client, inspector, case_id, d["id"], data)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["id"] == d["id"] and body["received"] is True
    assert body["sha256"] == d["sha256"] and body["size"] == len(data)
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == Image.open(io.BytesIO(data)).size
    assert set(body["urls"]) == {"thumb", "medium", "original"}

    blobs = blob_files(app)
    assert [b.name for b in blobs] == [d["sha256"]]
    assert blobs[0].read_bytes() == data
    assert tmp_files(app) == []

    r = upload(client, inspector, case_id, d["id"], data)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["sha256"] == d["sha256"]
    assert len(blob_files(app)) == 1

    case = get_case(client, inspector, case_id)
    assert case["missing_photos"] == []
    assert photo_of(case, d["id"])["received"] is True


def test_different_bytes_after_stored_is_409_conflict(client, app, inspector):
    data = sample("gps/DSCN0012.jpg")
    other = sample("gps/DSCN0021.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    assert upload(client, inspector, case_id, d["id"], data).status_code == 201

    r = upload(client, inspector, case_id, d["id"], other)
    assert_error(r, 409, "photo_conflict")
    assert [b.name for b in blob_files(app)] == [d["sha256"]]
    assert tmp_files(app) == []
    photo = photo_of(get_case(client, inspector, case_id), d["id"])
    assert photo["sha256"] == d["sha256"]
    r = client.get(f"/api/photos/{d['sha256']}/original", headers=inspector)
    assert r.data == data


def test_bytes_not_matching_declared_sha_is_400_and_nothing_stored(client, app, inspector):
    data = sample("gps/DSCN0025.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    corrupted = data[:-10] + b"\x00" * 10
    r = upload(client, inspector, case_id, d["id"], corrupted)
    body = assert_error(r, 400, "sha256_mismatch")
    assert hashlib.sha256(corrupted).hexdigest() in json.dumps(body["errors"])
    assert_nothing_stored(client, app, inspector, case_id, d["id"])
    # The right bytes are still accepted afterwards.
    assert upload(client, inspector, case_id, d["id"], data).status_code == 201


def test_over_size_limit_is_413_envelope_and_nothing_stored(client, app, inspector):
    data = sample("gps/DSCN0010.jpg")  # ~160 kB
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    app.config["PHOTO_MAX_BYTES"] = 100_000
    assert len(data) > 100_000
    r = upload(client, inspector, case_id, d["id"], data)
    assert_error(r, 413, "photo_too_large")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_over_size_limit_without_content_length_is_413(client, app, inspector):
    """A streamed body (no Content-Length) is cut off at the limit while being received."""
    data = sample("gps/DSCN0027.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    app.config["PHOTO_MAX_BYTES"] = 100_000
    r = client.put(f"/api/reports/{case_id}/photos/{d['id']}",
                   input_stream=io.BytesIO(data),
                   headers={**inspector, "Content-Type": "image/jpeg"},
                   environ_overrides={"wsgi.input_terminated": True})
    assert_error(r, 413, "photo_too_large")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


@pytest.mark.parametrize("content_type", ["text/html", "application/pdf", "image/gif"])
def test_unaccepted_content_type_is_415(client, app, inspector, content_type):
    data = sample("gps/DSCN0029.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data, content_type=content_type)
    assert_error(r, 415, "unsupported_media_type")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_pdf_labelled_jpeg_with_matching_sha_is_415(client, app, inspector):
    pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    d = declare(pdf, content_type="image/jpeg")
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], pdf, content_type="image/jpeg")
    assert_error(r, 415, "unsupported_media_type")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9])
def test_truncated_jpeg_is_422_undecodable(client, app, inspector, fraction):
    full = sample("gps/DSCN0038.jpg")
    data = full[: int(len(full) * fraction)]
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data)
    assert_error(r, 422, "undecodable_image")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


@pytest.mark.parametrize("width,height", [(100_000, 100_000), (11_000, 11_000)])
def test_decompression_bomb_is_422_image_too_large(client, app, inspector, width, height):
    data = png_claiming(width, height)
    assert len(data) < 200
    d = declare(data, content_type="image/png")
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data, content_type="image/png")
    assert_error(r, 422, "image_too_large")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_pixel_cap_follows_config(client, app, inspector):
    data = generated_jpeg((800, 600))
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    app.config["PHOTO_MAX_PIXELS"] = 800 * 600 - 1
    r = upload(client, inspector, case_id, d["id"], data)
    assert_error(r, 422, "image_too_large")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])
    app.config["PHOTO_MAX_PIXELS"] = 800 * 600
    assert upload(client, inspector, case_id, d["id"], data).status_code == 201


def test_photo_under_configured_pixel_cap_is_not_a_bomb(client, app, inspector):
    """PHOTO_MAX_PIXELS is the limit (config: "108 MP phone sensors pass"), not Pillow's default."""
    buf = io.BytesIO()
    Image.new("L", (12_000, 9_000), 90).save(buf, "JPEG", quality=30, optimize=True)  # 108 MP
    data = buf.getvalue()
    assert len(data) < app.config["MAX_CONTENT_LENGTH"]  # about 420 kB
    assert 12_000 * 9_000 < app.config["PHOTO_MAX_PIXELS"]
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["width"], r.get_json()["height"]) == (12_000, 9_000)


def test_photo_bigger_than_json_body_limit_is_accepted(client, app, inspector):
    """Photos are limited by PHOTO_MAX_BYTES (25 MB), not the 1 MB limit for JSON bodies."""
    data = sample("mobile/HMD_Nokia_8.3_5G.jpg")  # ~2.1 MB phone photo
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < app.config["PHOTO_MAX_BYTES"]
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data)
    assert r.status_code == 201, r.get_json()
    assert [b.name for b in blob_files(app)] == [d["sha256"]]
    assert blob_files(app)[0].read_bytes() == data


def test_declared_size_over_limit_is_refused_at_case_put(client, app, inspector):
    app.config["PHOTO_MAX_BYTES"] = 100_000
    small = declare(generated_jpeg((100, 100)))
    big = declare(sample("odd-exif/corrupted.jpg"))
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body("a1-piling", [small, big]),
                   headers=inspector)
    body = assert_error(r, 422, "invalid_photos")
    assert big["id"] in json.dumps(body["errors"], ensure_ascii=False)
    assert small["id"] not in json.dumps(body["errors"], ensure_ascii=False)
    assert client.get(f"/api/reports/{case_id}", headers=inspector).status_code == 404


@pytest.mark.parametrize("content_type", ["application/pdf", "text/html", "image/gif"])
def test_declared_content_type_not_accepted_is_refused_at_case_put(client, inspector, content_type):
    bad = declare(b"not really an image", content_type=content_type)
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body("a1-piling", [bad]), headers=inspector)
    body = assert_error(r, 422, "invalid_photos")
    assert bad["id"] in json.dumps(body["errors"], ensure_ascii=False)
    assert client.get(f"/api/reports/{case_id}", headers=inspector).status_code == 404


# --- formats, orientation, EXIF -------------------------------------------------------------

def test_heic_is_accepted_with_size_and_jpeg_thumb(client, app, inspector):
    data = sample(HEIC)
    expected_size = Image.open(io.BytesIO(data)).size  # pillow_heif, orientation applied
    d = declare(data, content_type="image/heic")
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data, content_type="image/heic")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["content_type"] == "image/heic"
    assert (body["width"], body["height"]) == expected_size
    tags = exifread_tags(data)  # the iPhone's GPS (west longitude: negative)
    assert body["exif"]["lat"] == pytest.approx(
        dms(tags["GPS GPSLatitude"], tags["GPS GPSLatitudeRef"]), abs=1e-6)
    assert body["exif"]["lon"] == pytest.approx(
        dms(tags["GPS GPSLongitude"], tags["GPS GPSLongitudeRef"]), abs=1e-6)
    assert body["exif"]["lon"] < 0

    r = client.get(f"/api/photos/{d['sha256']}/thumb", headers=inspector)
    assert r.status_code == 200
    assert r.mimetype == "image/jpeg"
    thumb = Image.open(io.BytesIO(r.data))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= app.config["THUMB_PX"]
    # Same aspect as the displayed photo.
    assert (thumb.width > thumb.height) == (expected_size[0] > expected_size[1])

    r = client.get(f"/api/photos/{d['sha256']}/original", headers=inspector)
    assert r.status_code == 200 and r.data == data and r.mimetype == "image/heic"


@pytest.mark.parametrize("name", ROTATED_SAMPLES)
def test_medium_is_upright_and_without_exif(client, inspector, name):
    data = sample(name)
    with Image.open(io.BytesIO(data)) as raw:
        assert raw.getexif().get(0x0112) in (6, 8)  # stored sideways
        stored_w, stored_h = raw.size
    _, case, _ = put_case_with_photos(client, inspector, [data])
    photo = case["photos"][0]
    # Displayed size: the stored size turned a quarter.
    assert (photo["width"], photo["height"]) == (stored_h, stored_w)

    r = client.get(photo["urls"]["medium"], headers=inspector)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    medium = Image.open(io.BytesIO(r.data))
    assert medium.format == "JPEG"
    if Path(name).name.startswith("landscape"):
        assert medium.width > medium.height
    else:
        assert medium.height > medium.width
    assert len(medium.getexif()) == 0
    assert "exif" not in medium.info
    assert b"Exif\x00\x00" not in r.data


def test_gps_exif_is_reported_and_flags_far_location_and_time(client, inspector):
    datas = [sample(n) for n in GPS_SAMPLES]
    assert len(datas) >= 2
    case_id, case, ids = put_case_with_photos(client, inspector, datas)
    assert case["missing_photos"] == []
    for name, data, pid in zip(GPS_SAMPLES, datas, ids):
        tags = exifread_tags(data)
        exif = photo_of(case, pid)["exif"]
        lat = dms(tags["GPS GPSLatitude"], tags["GPS GPSLatitudeRef"])
        lon = dms(tags["GPS GPSLongitude"], tags["GPS GPSLongitudeRef"])
        assert exif["lat"] == pytest.approx(lat, abs=1e-6), name
        assert exif["lon"] == pytest.approx(lon, abs=1e-6), name
        assert exif["make"] == str(tags["Image Make"].printable).strip(), name
        assert exif["model"] == str(tags["Image Model"].printable).strip(), name
        taken = datetime.strptime(str(tags["EXIF DateTimeOriginal"]), "%Y:%m:%d %H:%M:%S")
        assert datetime.fromisoformat(exif["taken_at"]) == taken.replace(tzinfo=CST), name

    flags = case["flags"]
    for pid in ids:
        codes = {f["code"] for f in flags if f.get("photo_id") == pid}
        assert codes == {"exif_gps_far", "exif_time_far"}, (pid, flags)
    far = [f for f in flags if f["code"] == "exif_gps_far"]
    assert all(f["distance_m"] > 1_000_000 for f in far)  # Italy vs Liuzhou


def test_photo_whose_exif_agrees_gets_no_flags(client, inspector):
    data = sample("gps/DSCN0010.jpg")
    tags = exifread_tags(data)
    lat = dms(tags["GPS GPSLatitude"], tags["GPS GPSLatitudeRef"])
    lon = dms(tags["GPS GPSLongitude"], tags["GPS GPSLongitudeRef"])
    taken = datetime.strptime(str(tags["EXIF DateTimeOriginal"]), "%Y:%m:%d %H:%M:%S")
    _, case, ids = put_case_with_photos(client, inspector, [data], lat=lat, lon=lon,
                                        captured_at=taken.replace(tzinfo=CST))
    assert photo_of(case, ids[0])["exif"]["lat"] == pytest.approx(lat, abs=1e-6)
    assert case["flags"] == []


def test_no_exif_photo_gets_no_flags_and_empty_exif(client, inspector):
    _, case, ids = put_case_with_photos(client, inspector, [sample("mobile/no_exif.jpg")])
    assert photo_of(case, ids[0])["exif"] == {}
    assert case["flags"] == []


@pytest.mark.parametrize("name", ODD_EXIF_SAMPLES)
def test_malformed_exif_never_fails_upload(client, app, inspector, name):
    data = sample(name)
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, d["id"], data)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["received"] is True
    assert [b.name for b in blob_files(app)] == [d["sha256"]]


# --- downloading -----------------------------------------------------------------------------

@pytest.fixture
def stored(client, inspector):
    """One received photo of an auto-dispatched a1-piling case (lead unit zfj)."""
    data = sample("gps/DSCN0040.jpg")
    case_id, case, ids = put_case_with_photos(client, inspector, [data])
    assert case["lead_unit"]["code"] == "zfj"
    return {"data": data, "sha": hashlib.sha256(data).hexdigest(), "case": case,
            "case_id": case_id}


@pytest.mark.parametrize("variant", ["medium", "original"])
def test_download_without_token_is_401(client, stored, variant):
    r = client.get(f"/api/photos/{stored['sha']}/{variant}")
    assert_error(r, 401)


def test_download_by_liaison_depends_on_unit(client, make_user, stored):
    _, other = make_user("liaison", unit="jdb")
    _, lead = make_user("liaison", unit="zfj")
    for variant in ("thumb", "medium", "original"):
        assert_error(client.get(f"/api/photos/{stored['sha']}/{variant}", headers=other), 404)
        assert client.get(f"/api/photos/{stored['sha']}/{variant}", headers=lead).status_code == 200


def test_download_by_other_inspector_is_404(client, make_user, stored):
    _, other = make_user("inspector")
    assert_error(client.get(f"/api/photos/{stored['sha']}/original", headers=other), 404)


def test_original_is_byte_for_byte(client, inspector, office, stored):
    for headers in (inspector, office):
        r = client.get(f"/api/photos/{stored['sha']}/original", headers=headers)
        assert r.status_code == 200
        assert r.data == stored["data"]
        assert hashlib.sha256(r.data).hexdigest() == stored["sha"]
        assert r.mimetype == "image/jpeg"


@pytest.mark.parametrize("variant", ["thumb", "medium", "original"])
def test_download_caching_headers(client, inspector, stored, variant):
    r = client.get(f"/api/photos/{stored['sha']}/{variant}", headers=inspector)
    assert r.status_code == 200
    etag = r.headers.get("ETag")
    assert etag
    assert "immutable" in r.headers.get("Cache-Control", "")
    r2 = client.get(f"/api/photos/{stored['sha']}/{variant}",
                    headers={**inspector, "If-None-Match": etag})
    assert r2.status_code == 304
    assert r2.data == b""
    r3 = client.get(f"/api/photos/{stored['sha']}/{variant}",
                    headers={**inspector, "If-None-Match": '"something-else"'})
    assert r3.status_code == 200 and r3.data == r.data


def test_derivatives_are_small_jpegs(client, app, inspector, stored):
    for variant, limit in (("thumb", app.config["THUMB_PX"]), ("medium", app.config["MEDIUM_PX"])):
        r = client.get(f"/api/photos/{stored['sha']}/{variant}", headers=inspector)
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        im = Image.open(io.BytesIO(r.data))
        assert im.format == "JPEG" and max(im.size) <= limit
        assert b"Exif\x00\x00" not in r.data  # the GPS of the original is not passed on


def test_upload_makes_the_thumb_and_the_first_view_makes_the_medium(client, app, inspector, stored):
    """An upload pays for one small decode (the thumbnail proves the file whole); the medium, a
    larger decode, is made when someone first opens the photo, and kept."""
    with app.app_context():
        store = get_store(app)
        thumb, medium = store.derivative_path(stored["sha"], "thumb"), store.derivative_path(stored["sha"], "medium")
    assert thumb.exists() and not medium.exists()
    r = client.get(f"/api/photos/{stored['sha']}/medium", headers=inspector)
    assert r.status_code == 200 and medium.exists() and medium.read_bytes() == r.data
    original = Image.open(io.BytesIO(stored["data"]))
    shown = Image.open(io.BytesIO(r.data))
    assert max(shown.size) == min(max(original.size), app.config["MEDIUM_PX"])


@pytest.mark.parametrize("path", [
    "/api/photos/{sha}/large", "/api/photos/{bad}/original", "/api/photos/{unknown}/original"])
def test_download_unknown_is_404(client, inspector, stored, path):
    url = path.format(sha=stored["sha"], bad=stored["sha"].upper(), unknown="0" * 64)
    assert_error(client.get(url, headers=inspector), 404)


# --- who may upload --------------------------------------------------------------------------

def test_upload_without_token_is_401(client, app, inspector):
    data = sample("gps/DSCN0042.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, {}, case_id, d["id"], data)
    assert_error(r, 401)
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_upload_to_other_inspectors_case_is_404(client, app, make_user, inspector):
    data = sample("gps/DSCN0042.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    _, other = make_user("inspector")
    r = upload(client, other, case_id, d["id"], data)
    assert_error(r, 404)
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_undeclared_photo_is_404(client, app, inspector):
    data = sample("gps/DSCN0042.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    r = upload(client, inspector, case_id, str(uuid.uuid4()), data)
    assert_error(r, 404, "photo_not_declared")
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_photo_id_of_another_case_conflicts(client, app, inspector):
    a, b = sample("gps/DSCN0010.jpg"), sample("gps/DSCN0012.jpg")
    da, db_ = declare(a), declare(b)
    case_a = declare_case(client, inspector, [da])
    declare_case(client, inspector, [db_])
    r = upload(client, inspector, case_a, db_["id"], b)
    assert_error(r, 409, "photo_id_taken")
    assert blob_files(app) == []


# --- concurrency and a real socket -----------------------------------------------------------

def test_concurrent_uploads_of_same_photo_store_once(app, client, inspector):
    data = sample("gps/DSCN0021.jpg")
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send():
        c = app.test_client()
        try:
            barrier.wait(timeout=10)
            r = upload(c, inspector, case_id, d["id"], data)
            results.append((r.status_code, r.get_json()))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    statuses = sorted(s for s, _ in results)
    assert statuses in ([200, 201], [201, 201]), results
    assert all(body["sha256"] == d["sha256"] for _, body in results)
    assert [b.name for b in blob_files(app)] == [d["sha256"]]
    assert tmp_files(app) == []
    case = get_case(client, inspector, case_id)
    assert case["missing_photos"] == []
    assert photo_of(case, d["id"])["received"] is True


@pytest.fixture
def dev_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.mark.parametrize("name", ["mobile/jolla.jpg", "mobile/HMD_Nokia_8.3_5G.jpg"])
def test_413_over_a_real_socket_is_a_json_response(app, client, inspector, dev_server, name):
    data = sample(name)  # ~0.8 MB and ~2.1 MB, both far past the limit set below
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    app.config["PHOTO_MAX_BYTES"] = 100_000
    conn = http.client.HTTPConnection("127.0.0.1", dev_server.server_port, timeout=30)
    try:
        conn.request("PUT", f"/api/reports/{case_id}/photos/{d['id']}", body=data,
                     headers={**inspector, "Content-Type": "image/jpeg",
                              "Content-Length": str(len(data))})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    assert resp.status == 413
    assert resp.getheader("Content-Type", "").startswith("application/json")
    body = json.loads(raw)
    assert body["code"] == "photo_too_large" and set(body) == {"code", "message", "errors"}
    assert_nothing_stored(client, app, inspector, case_id, d["id"])


def test_upload_over_a_real_socket_is_stored(app, client, inspector, dev_server):
    """A body past Flask's 1 MB JSON limit is accepted on the photo route."""
    data = sample("mobile/HMD_Nokia_8.3_5G.jpg")
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    d = declare(data)
    case_id = declare_case(client, inspector, [d])
    conn = http.client.HTTPConnection("127.0.0.1", dev_server.server_port, timeout=30)
    try:
        conn.request("PUT", f"/api/reports/{case_id}/photos/{d['id']}", body=data,
                     headers={**inspector, "Content-Type": "image/jpeg"})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    assert resp.status == 201, raw[:500]
    assert json.loads(raw)["sha256"] == d["sha256"]
    assert [b.name for b in blob_files(app)] == [d["sha256"]]
