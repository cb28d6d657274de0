"""Hostile input: every endpoint that takes input, fed what an attacker or a broken client sends.

Each row is one request and the answers it may get: a 4xx with the JSON envelope {code, message,
errors}, or a 2xx where the input is valid (SQL-looking or script-looking text, an absurd but harmless
EXIF block) and must then be stored verbatim or ignored safely, which the row's check proves. No row
may get a 5xx. The rows run in-process against one app; the bombs and oversize bodies also go
through a real gunicorn, whose workers' peak RSS (VmHWM) must stay bounded.

Every request tried and the answer it got is written to test-artifacts/hostile-input.json.
"""
import base64
import hashlib
import io
import json
import re
import socket
import struct
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest
from PIL import Image

from server import create_app
from server.extensions import db
from server.models import Case, User
from server.services import auth

from ..conftest import E2E_PASSWORD, TEST_DB, _fresh_url, _reset_postgres
from ..helpers import YANGHE, case_body, declare, generated_jpeg, sample
from ..live import ROOT

PHOTO_LIMIT = 2_000_000  # in-process: oversize photos need only 3 MB
XSS = ['<img src=x onerror=window.__xss=1>', '<script>window.__xss=1</script>',
       '"><svg onload=alert(1)>', "javascript:alert(document.cookie)"]
SQL = ["'; DROP TABLE cases; --", "' OR '1'='1", "1; SELECT pg_sleep(10); --",
       "admin'/*", 'Robert"); DELETE FROM users WHERE ("1"="1']
TRAVERSAL = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
             "..%252F..%252Fetc%252Fpasswd", "....//....//etc/passwd"]
RESULTS = []


# --- files an attacker makes --------------------------------------------------------------------

def png_bytes(size=(8, 8), mode="RGB"):
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width, height, fix_crc=True):
    """A valid 8×8 PNG whose IHDR now claims width×height (CRC recomputed, or left stale)."""
    data = bytearray(png_bytes())
    data[16:24] = struct.pack(">II", width, height)
    if fix_crc:
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_claiming(width, height):
    """A valid small baseline JPEG whose SOF0 segment now claims width×height."""
    data = bytearray(generated_jpeg((64, 48)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_bomb(width, height, rgb=False):
    """A real bomb: a PNG of width×height black pixels (1-bit grey, or 8-bit RGB), a few kB to a
    few hundred kB on the wire."""
    row = b"\x00" * (1 + (3 * width if rgb else (width + 7) // 8))
    z = zlib.compressobj(6)
    idat = b"".join(z.compress(row * 100) for _ in range(height // 100)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8 if rgb else 1, 2 if rgb else 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def ztxt_bomb(megabytes=64):
    """A small valid PNG carrying a zTXt chunk that inflates to `megabytes` MB."""
    z = zlib.compressobj(9)
    text = b"".join(z.compress(b"\x00" * 1_000_000) for _ in range(megabytes)) + z.flush()
    data = png_bytes()
    end = data.index(b"IEND") - 4
    return data[:end] + png_chunk(b"zTXt", b"Comment\x00\x00" + text) + data[end:]


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        z.writestr("evil.html", "<script>alert(1)</script>")
    return buf.getvalue()


def gif_bytes():
    buf = io.BytesIO()
    Image.new("P", (8, 8)).save(buf, "GIF")
    return buf.getvalue()


def exif_tiff(ifd0, exif_ifd=(), gps_ifd=()):
    """Little-endian TIFF (EXIF) bytes written by hand, so values Pillow refuses to write can be had.

    Entries are (tag, type, values): 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 10 SRATIONAL.
    """
    ifds = [list(ifd0), list(exif_ifd), list(gps_ifd)]
    if exif_ifd:
        ifds[0].append((0x8769, 4, [0]))
    if gps_ifd:
        ifds[0].append((0x8825, 4, [0]))

    def payload(typ, values):
        if typ == 2:
            return values.encode("latin-1") + b"\x00"
        if typ in (3, 4):
            return b"".join(struct.pack("<H" if typ == 3 else "<I", v) for v in values)
        return b"".join(struct.pack("<II" if typ == 5 else "<ii", n, d) for n, d in values)

    def padded(p):
        return p + b"\x00" * (len(p) & 1)

    sizes = [2 + 12 * len(ifd) + 4 + sum(len(padded(payload(t, v))) for _, t, v in ifd
                                          if len(payload(t, v)) > 4) for ifd in ifds]
    offsets = [8 + sum(sizes[:i]) for i in range(len(ifds))]
    ifds[0] = [(t, 4, [offsets[1]]) if t == 0x8769 else (t, 4, [offsets[2]]) if t == 0x8825 else
               (t, typ, v) for t, typ, v in ifds[0]]
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for i, ifd in enumerate(ifds):
        data_pos = offsets[i] + 2 + 12 * len(ifd) + 4
        entries, data = bytearray(), bytearray()
        for tag, typ, vals in sorted(ifd):
            p = payload(typ, vals)
            n = len(vals.encode("latin-1")) + 1 if typ == 2 else len(vals)
            if len(p) <= 4:
                entries += struct.pack("<HHI", tag, typ, n) + p.ljust(4, b"\x00")
            else:
                entries += struct.pack("<HHII", tag, typ, n, data_pos + len(data))
                data += padded(p)
        out += struct.pack("<H", len(ifd)) + entries + struct.pack("<I", 0) + data
    return bytes(out)


def jpeg_with_exif(tiff):
    jpg = generated_jpeg((64, 48))
    segment = b"Exif\x00\x00" + tiff
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + jpg[2:]


ABSURD_EXIF = jpeg_with_exif(exif_tiff(
    [(0x010F, 2, "M" * 30000), (0x0110, 2, XSS[1]), (0x0132, 2, "0000:00:00 00:00:00"),
     (0x0112, 3, [9999])],
    [(0x9003, 2, "9999:12:31 23:59:59"), (0x9011, 2, "-23:59")],
    [(1, 2, "N"), (2, 5, [(999, 1), (1, 0), (5, 1)]), (3, 2, "E"), (4, 10, [(-1, 1), (-30, 1), (7, 0)])]))
YEAR_ZERO_EXIF = jpeg_with_exif(exif_tiff(
    [(0x010F, 2, SQL[0])],
    [(0x9003, 2, "0001:01:01 00:00:00"), (0x9011, 2, "+14:00")],
    [(1, 2, "S"), (2, 5, [(0, 0), (0, 0), (0, 0)]), (3, 2, "W"), (4, 5, [(4294967295, 1), (1, 4294967295), (0, 1)])]))
BAD_OFFSET_EXIF = jpeg_with_exif(exif_tiff(
    [(0x010F, 2, "Xuncha")], [(0x9003, 2, "2026:11:28 10:00:00"), (0x9011, 2, "+99:99")],
    [(1, 2, "N"), (2, 5, [(24, 1), (22, 1), (0, 1)]), (3, 2, "E"), (4, 5, [(109, 1), (29, 1), (0, 1)])]))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>window.__xss=1</script></body></html>"


# --- the app under attack -----------------------------------------------------------------------

@dataclass
class World:
    app: object
    client: object
    headers: dict
    ids: dict
    case_id: str
    photo_id: str
    photo_sha: str
    api_key: str
    number: str = ""
    receipt: str = ""

    def fmt(self, text):
        return text.format(case=self.case_id, photo=self.photo_id, sha=self.photo_sha, new=uuid.uuid4(),
                           new2=uuid.uuid4(), user=self.ids["inspector"], key=self.api_key,
                           number=self.number, receipt=self.receipt)


@pytest.fixture(scope="module")
def world(database, tmp_path_factory):
    """One app for all rows: users of every role, a dispatched case with a photo, an Open311 key."""
    tmp = tmp_path_factory.mktemp("hostile")
    app = create_app({"SQLALCHEMY_DATABASE_URI": _fresh_url(database, tmp), "PHOTO_STORE": str(tmp / "photos"),
                      "TESTING": True, "SERVER_NAME": "xuncha.test", "PHOTO_MAX_BYTES": PHOTO_LIMIT,
                      # Throttles are not under test here; hundreds of refused sign-ins and complaints are.
                      "PUBLIC_REPORTS_PER_HOUR": 100_000, "LOGIN_MAX_FAILURES": 100_000})
    if database["kind"] == "postgresql":
        _reset_postgres(app, database)
    headers, ids = {}, {}
    with app.app_context():
        for role, unit in (("inspector", None), ("office", None), ("admin", None), ("liaison", "zfj")):
            user = auth.create_user(f"{role}.hostile", role, E2E_PASSWORD, unit)
            raw, _ = auth.issue_token(user)
            db.session.commit()
            headers[role], ids[role] = {"Authorization": f"Bearer {raw}"}, user.id
        api_key = auth.create_api_key("hostile-suite")
    client = app.test_client()
    photo = generated_jpeg()
    decl = declare(photo)
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body(photos=[decl]), headers=headers["inspector"])
    assert r.status_code == 201, r.json
    r = client.put(f"/api/reports/{case_id}/photos/{decl['id']}", data=photo,
                   headers={**headers["inspector"], "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.json
    if client.get(f"/api/reports/{case_id}", headers=headers["office"]).json["status"] == "submitted":
        r = client.post(f"/api/reports/{case_id}/transitions", headers=headers["office"],
                        json={"id": str(uuid.uuid4()), "action": "dispatch", "unit": "zfj"})
        assert r.status_code == 200, r.json
    w = World(app, client, headers, ids, case_id, decl["id"], decl["sha256"], api_key)
    r = client.post("/api/public/reports", content_type="multipart/form-data", data={
        "category": "a1-piling", "lat": str(YANGHE["lat"]), "lon": str(YANGHE["lon"]), "description": "种子",
        "photo": (io.BytesIO(generated_jpeg()), "p.jpg", "image/jpeg")})
    assert r.status_code == 201, r.json
    w.number, w.receipt = r.json["number"], r.json["receipt"]
    yield w
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def summary():
    """Write every input tried and its answer to test-artifacts/hostile-input.json (one key per database)."""
    yield
    out = ROOT / "test-artifacts" / "hostile-input.json"
    out.parent.mkdir(exist_ok=True)
    try:
        doc = json.loads(out.read_text())
    except (OSError, ValueError):
        doc = {}
    counts = {}
    for r in RESULTS:
        if r["status"] is None:
            continue
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    doc[TEST_DB] = {"date": time.strftime("%Y-%m-%d"), "inputs": sum(counts.values()),
                    "by_status": dict(sorted(counts.items())), "results": RESULTS}
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False))


# --- rows ---------------------------------------------------------------------------------------

@dataclass
class Row:
    """One hostile request: who sends what where, which statuses are right, and what must then hold."""

    name: str
    method: str
    path: str
    expect: tuple
    role: Optional[str] = "office"
    json: object = None
    data: object = None  # bytes, str or a form dict
    content_type: Optional[str] = None
    check: Optional[Callable] = None
    extra_headers: dict = field(default_factory=dict)

    def send(self, w):
        headers = dict(w.headers[self.role]) if self.role else {}
        headers.update(self.extra_headers)
        kwargs = {"headers": headers}
        if self.json is not None:
            kwargs["json"] = self.json(w) if callable(self.json) else self.json
        data = self.data(w) if callable(self.data) else self.data
        if data is not None:
            kwargs["data"] = data
        if self.content_type is not None:
            kwargs["content_type"] = self.content_type
        return w.client.open(w.fmt(self.path), method=self.method, **kwargs)


def case_json(**changes):
    """A valid case body (declaring one photo) with some fields changed."""
    def build(w):
        body = case_body(photos=[declare(generated_jpeg(color=(1, 2, 3)))])
        for key, value in changes.items():
            if key in ("lat", "lon", "accuracy_m"):
                body["location"][key] = value
            else:
                body[key] = value
        return body
    return build


def raw_case(text):
    """A case body as raw JSON text, for values json.dumps would not write (NaN, 1e400, surrogates)."""
    def build(w):
        body = json.dumps(case_body(photos=[declare(generated_jpeg(color=(1, 2, 3)))]))
        return body.replace('"accuracy_m": 12.5', text)
    return build


def transition(action, **extra):
    return lambda w: {"id": str(uuid.uuid4()), "action": action, **extra}


def upload(data, content_type="image/jpeg"):
    """An after-photo on the dispatched case (the office may add one; no declaration needed)."""
    return dict(method="PUT", path="/api/reports/{case}/photos/{new}?role=after", data=data,
                content_type=content_type)


def public_form(photo=None, filename="p.jpg", mimetype="image/jpeg", **fields):
    def build(w):
        form = {"category": "a1-piling", "lat": str(YANGHE["lat"]), "lon": str(YANGHE["lon"]),
                "description": "hostile"}
        form.update(fields)
        if photo is not False:
            form["photo"] = (io.BytesIO(generated_jpeg() if photo is None else photo), filename, mimetype)
        return form
    return build


def open311_form(**fields):
    def build(w):
        form = {"api_key": w.api_key, "service_code": "a1-piling", "lat": str(YANGHE["lat"]),
                "long": str(YANGHE["lon"]), "description": "hostile"}
        form.update(fields)
        return {k: v for k, v in form.items() if v is not None}
    return build


# Checks run after a 2xx: the valid-but-hostile input was stored verbatim or ignored safely.

def stored_case_text(field_name, expected):
    def check(w, r):
        got = w.client.get(f"/api/reports/{r.json['id']}", headers=w.headers["office"]).json
        assert got[field_name] == expected
        # The filters still work around it: the case is found in the office's list.
        listed = w.client.get("/api/reports?limit=200", headers=w.headers["office"]).json["items"]
        assert r.json["id"] in [c["id"] for c in listed]
    return check


def stored_note(expected):
    def check(w, r):
        assert any(e.get("note") == expected for e in r.json["events"]), r.json["events"]
    return check


def stored_public(expected):
    def check(w, r):
        number = r.json["number"]
        listed = w.client.get("/api/reports?source=public&limit=200", headers=w.headers["office"]).json["items"]
        assert [c["description"] for c in listed if c["number"] == number] == [expected]
    return check


def stored_open311(expected):
    def check(w, r):
        number = r.json[0]["service_request_id"]
        got = w.client.get(f"/open311/v2/requests/{number}.json").json
        assert got[0]["description"] == expected
    return check


def polyglot_kept_as_jpeg(w, r):
    """The original is kept byte-exact but only ever served as image/jpeg with nosniff; derivatives
    are re-encoded, so the appended HTML/ZIP never leaves in a thumbnail."""
    sha = r.json["sha256"]
    original = w.client.get(f"/api/photos/{sha}/original", headers=w.headers["office"])
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(original.data).hexdigest() == sha
    thumb = w.client.get(f"/api/photos/{sha}/thumb", headers=w.headers["office"]).data
    assert thumb.startswith(b"\xff\xd8") and b"<script" not in thumb and b"PK\x03\x04" not in thumb


def absurd_exif_ignored(w, r):
    exif = r.json["exif"]
    assert "lat" not in exif and "lon" not in exif and "taken_at" not in exif, exif
    assert exif.get("taken_at_text") == "9999:12:31 23:59:59"
    assert exif["make"] == "M" * 100 and exif["model"] == XSS[1]  # truncated, and verbatim (escaped in the UI)
    assert "orientation" not in exif


def year_zero_exif_ignored(w, r):
    exif = r.json["exif"]
    assert "lat" not in exif and "taken_at" not in exif and exif["make"] == SQL[0], exif


def bad_offset_exif_ignored(w, r):
    exif = r.json["exif"]
    assert "taken_at" not in exif and exif.get("lat") == pytest.approx(24 + 22 / 60), exif


def user_text(field_name, expected):
    def check(w, r):
        users = w.client.get("/api/users", headers=w.headers["office"]).json
        assert [u[field_name] for u in users if u["id"] == r.json["id"]] == [expected]
    return check


def nothing_changed(w, r):
    me = w.client.get("/api/users", headers=w.headers["office"]).json
    inspector = next(u for u in me if u["id"] == w.ids["inspector"])
    assert inspector["active"] is True and inspector["display_name"] is None


def empty_list(w, r):
    assert r.json == [] or r.json.get("items") == [], r.json


def users_intact(w, r):
    with w.app.app_context():
        assert db.session.query(User).count() >= 4 and db.session.query(Case).count() >= 2


JSON_ENDPOINTS = [  # (label, method, path, role, a valid body)
    ("token", "POST", "/api/auth/token", None, {"username": "inspector.hostile", "password": "x" * 8}),
    ("case", "PUT", "/api/reports/{new}", "inspector", None),
    ("transition", "POST", "/api/reports/{case}/transitions", "office", {"id": "{new}", "action": "accept"}),
    ("user-create", "POST", "/api/users", "office", {"username": "ab", "role": "inspector"}),
    ("user-patch", "PATCH", "/api/users/{user}", "office", {"display_name": "x"}),
    ("category-patch", "PATCH", "/api/catalog/categories/a1-piling", "admin", {"deadline_value": 3}),
    ("zone-put", "PUT", "/api/catalog/zones/z-hostile", "admin", {"name": "z", "lead_unit": "zfj"}),
    ("webhook-put", "PUT", "/api/units/zfj/webhook", "office", {"webhook_url": None}),
]
NESTED_ARRAY = "[" * 100_000
NESTED_OBJECT = '{"a":' * 100_000


def generic_rows():
    """The same malformed bodies at every JSON endpoint."""
    rows = []
    for label, method, path, role, _ in JSON_ENDPOINTS:
        ct = "application/json"
        required = label not in ("user-patch", "category-patch")
        rows += [
            Row(f"{label}: invalid JSON", method, path, (400,), role, data='{"a": ', content_type=ct),
            Row(f"{label}: invalid UTF-8", method, path, (400,), role, data=b'{"username": "\xff\xfe\xc3"}',
                content_type=ct),
            Row(f"{label}: JSON array at top", method, path, (422,), role, data="[1, 2, 3]", content_type=ct),
            Row(f"{label}: JSON string at top", method, path, (422,), role, data='"x"', content_type=ct),
            Row(f"{label}: 100,000 nested [", method, path, (400,), role, data=NESTED_ARRAY, content_type=ct),
            Row(f"{label}: 100,000 nested objects", method, path, (400,), role, data=NESTED_OBJECT,
                content_type=ct),
            Row(f"{label}: NUL in a string", method, path, (422,), role, content_type=ct,
                data='{"username": "a\\u0000b", "display_name": "\\u0000", "name": "\\u0000", "note": "\\u0000",'
                     ' "description": "\\u0000", "webhook_url": "http://x/\\u0000", "id": "\\u0000"}'),
            Row(f"{label}: lone surrogate", method, path, (422,), role, content_type=ct,
                data='{"username": "\\ud800", "display_name": "\\udfff", "description": "\\ud83d"}'),
            Row(f"{label}: surrogate key", method, path, (422,), role, content_type=ct, data='{"\\ud800": 1}'),
            Row(f"{label}: body over MAX_CONTENT_LENGTH", method, path, (413,), role, content_type=ct,
                data='{"description": "' + "x" * 1_100_000 + '"}'),
            Row(f"{label}: valid JSON as text/plain", method, path, (422,) if required else (200,), role,
                data='{"username": "a"}', content_type="text/plain",
                check=None if required else nothing_changed),
            Row(f"{label}: no Content-Type", method, path, (422,) if required else (200,), role,
                data=b'{"username": "a"}', check=None if required else nothing_changed),
            Row(f"{label}: form body", method, path, (422,) if required else (200,), role,
                data={"username": "a"}, check=None if required else nothing_changed),
        ]
    return rows


def case_rows():
    p = "/api/reports/{new}"
    rows = [Row(f"case: description {x!r} stored verbatim", "PUT", p, (201,), "inspector",
                json=case_json(description=x), check=stored_case_text("description", x)) for x in XSS + SQL]
    rows += [Row(f"case: {k}={v!r}", "PUT", p, (422,), "inspector", json=case_json(**{k: v})) for k, v in [
        ("lat", 999), ("lat", -91), ("lon", 181), ("lon", -180.0001), ("accuracy_m", -1), ("accuracy_m", 1e308),
        ("lat", None), ("lat", True), ("accuracy_m", "NaN"), ("category", TRAVERSAL[0]),
        ("category", SQL[0]), ("category", ""), ("description", "x" * 2001), ("captured_at", "9999-12-31T23:59:59Z"),
        ("captured_at", "0000-01-01T00:00:00Z"), ("captured_at", "0001-01-01T00:00:00+14:00"),
        ("captured_at", "2026-11-28T10:00:00"), ("captured_at", "yesterday"), ("covert", "maybe"),
        ("photos", [{"id": "x"}] * 1000), ("photos", "x" * 10_000), ("description", {"$gt": ""}),
    ]]
    rows.append(Row("case: lat as the string '24.3' (a number in text: accepted, stored as 24.3)", "PUT", p, (201,),
                    "inspector", json=case_json(lat="24.3"),
                    check=lambda w, r: r.json["location"]["lat"] == 24.3 or pytest.fail(r.json["location"])))
    rows += [Row(f"case: accuracy_m as {t}", "PUT", p, (422,), "inspector", data=raw_case(f'"accuracy_m": {t}'),
                 content_type="application/json") for t in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400")]
    rows += [Row(f"case: lat as {t}", "PUT", p, (422,), "inspector", content_type="application/json",
                 data=lambda w, t=t: json.dumps(case_body()).replace('"lat": 24.3672', f'"lat": {t}'))
             for t in ("NaN", "Infinity", "-Infinity", "1e400")]
    rows += [
        Row("case: huge photo size", "PUT", p, (422,), "inspector",
            json=lambda w: case_body(photos=[{**declare(b"x"), "size": 10 ** 30}])),
        Row("case: photo content_type text/html", "PUT", p, (422,), "inspector",
            json=lambda w: case_body(photos=[declare(b"x", content_type="text/html")])),
        Row("case: 1 MB-ish description", "PUT", p, (422,), "inspector", json=case_json(description="字" * 300_000)),
        Row("case: no token", "PUT", p, (401,), None, json=case_json()),
        Row("case: liaison may not write cases", "PUT", p, (403,), "liaison", json=case_json()),
        Row("case: bearer token is SQL", "PUT", p, (401,), None, json=case_json(),
            extra_headers={"Authorization": "Bearer ' OR '1'='1"}),
    ]
    rows += [Row(f"case id {t}", "PUT", f"/api/reports/{t}", (404,), "inspector", json=case_json())
             for t in TRAVERSAL + ["not-a-uuid", "00000000-0000-0000-0000-00000000000g"]]
    rows.append(Row("case id %00 (NUL in the path)", "PUT", "/api/reports/%00", (422,), "inspector", json=case_json()))
    rows += [Row(f"case read id {t}", "GET", f"/api/reports/{t}", (404,), "inspector") for t in TRAVERSAL]
    return rows


def transition_rows():
    p = "/api/reports/{case}/transitions"
    rows = [Row(f"transition note {x!r} stored verbatim", "POST", p, (200,), "office",
                json=transition("dispatch", unit="zfj", note=x),
                check=stored_note(x)) for x in XSS[:2] + SQL[:2]]
    rows += [Row(f"transition: {name}", "POST", p, (422,), "office", json=body) for name, body in [
        ("unknown action", transition("explode")), ("action traversal", transition(TRAVERSAL[0])),
        ("id not a uuid", lambda w: {"id": "../../x", "action": "accept"}),
        ("due_at year 0001+14:00", transition("grant_extension", due_at="0001-01-01T00:00:00+14:00")),
        ("due_at year 9999", transition("grant_extension", due_at="9999-12-31T23:59:59-14:00")),
        ("due_at NaN", transition("grant_extension", due_at="NaN")),
        ("photos ×1000", lambda w: {"id": str(uuid.uuid4()), "action": "resolve", "photos": [str(uuid.uuid4())] * 1000}),
        ("note 2001 chars", transition("return", note="x" * 2001)),
        ("unit 1000 chars", transition("dispatch", unit="u" * 1000)),
        ("duplicate_of traversal", transition("reject", duplicate_of=TRAVERSAL[0])),
    ]]
    rows += [
        Row("transition: dispatch to unit traversal", "POST", p, (409, 422), "office",
            json=transition("dispatch", unit=TRAVERSAL[0])),
        Row("transition: dispatch to SQL unit", "POST", p, (409, 422), "office", json=transition("dispatch", unit=SQL[1])),
        Row("transition: inspector may not dispatch", "POST", p, (403, 409), "inspector", json=transition("dispatch", unit="zfj")),
    ]
    rows += [Row(f"transition case id {t}", "POST", f"/api/reports/{t}/transitions", (404,), "office",
                 json=transition("accept")) for t in TRAVERSAL]
    return rows


def photo_rows():
    sample_jpeg = sample("gps/DSCN0010.jpg")
    files = [
        ("PNG IHDR claims 100000×100000", png_claiming(100_000, 100_000), (422,)),
        ("PNG IHDR claims 100000×100000, stale CRC", png_claiming(100_000, 100_000, fix_crc=False), (422,)),
        ("PNG IHDR claims 0×0", png_claiming(0, 0), (422,)),
        ("PNG IHDR claims 2^31×2^31", png_claiming(2 ** 31 - 1, 2 ** 31 - 1), (422,)),
        ("JPEG SOF claims 65000×65000", jpeg_claiming(65000, 65000), (422,)),
        ("JPEG SOF claims 0×0", jpeg_claiming(0, 0), (422,)),
        ("real bomb: 1-bit PNG 20000×20000 (400 MP)", png_bomb(20_000, 20_000), (422,)),
        ("real bomb: 1-bit PNG 11000×11000 (121 MP, just over the cap)", png_bomb(11_000, 11_000), (422,)),
        ("real bomb: RGB PNG 10000×10000 (100 MP, 300 MB to decode whole)", png_bomb(10_000, 10_000, rgb=True), (422,)),
        ("PNG zTXt inflating to 64 MB", ztxt_bomb(64), (422,)),
        ("truncated JPEG (half a real photo)", sample_jpeg[:len(sample_jpeg) // 2], (422,)),
        ("JPEG cut after SOI", b"\xff\xd8\xff", (422,)),
        ("zero-byte file", b"", (422,)),
        ("PDF sent as image/jpeg", PDF, (415,)),
        ("HTML sent as image/jpeg", HTML, (415,)),
        ("GIFAR (GIF + JAR) sent as image/jpeg", gif_bytes() + zip_bytes(), (415,)),
        ("RIFF/WEBP header then garbage", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 64, (422,)),
        ("HEIC ftyp then garbage", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, (422,)),
        ("SVG with script sent as image/png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', (415,)),
    ]
    rows = [Row(f"photo: {name}", expect=expect, **upload(data)) for name, data, expect in files]
    rows += [
        Row("photo: JPEG + appended HTML (polyglot)", expect=(201,), check=polyglot_kept_as_jpeg,
            **upload(generated_jpeg(color=(9, 9, 9)) + HTML)),
        Row("photo: JPEG + appended ZIP (JPEG-AR polyglot)", expect=(201,), check=polyglot_kept_as_jpeg,
            **upload(generated_jpeg(color=(8, 8, 8)) + zip_bytes())),
        Row("photo: EXIF GPS 999°, 1/0 and negative rationals, year 9999 at -23:59, 30 kB Make, orientation 9999",
            expect=(201,), check=absurd_exif_ignored, **upload(ABSURD_EXIF)),
        Row("photo: EXIF 0/0 GPS, year 0001 at +14:00, SQL in Make", expect=(201,), check=year_zero_exif_ignored,
            **upload(YEAR_ZERO_EXIF)),
        Row("photo: EXIF offset +99:99", expect=(201,), check=bad_offset_exif_ignored, **upload(BAD_OFFSET_EXIF)),
        Row("photo: over PHOTO_MAX_BYTES", expect=(413,), **upload(b"\xff\xd8\xff" + b"\x00" * (PHOTO_LIMIT + 10))),
        Row("photo: Content-Type text/html", expect=(415,), **upload(generated_jpeg(), "text/html")),
        Row("photo: Content-Type application/json", expect=(415,), **upload(b'{"a": 1}', "application/json")),
        Row("photo: 100,000 nested [ as application/json", expect=(400, 415),
            **upload(NESTED_ARRAY, "application/json")),
        Row("photo: no Content-Type (bytes sniffed)", expect=(201,), **upload(generated_jpeg(color=(7, 7, 7)), None)),
        Row("photo: bad X-Content-SHA256", expect=(400,), extra_headers={"X-Content-SHA256": "../../etc/passwd"},
            **upload(generated_jpeg())),
        Row("photo: role traversal", "PUT", "/api/reports/{case}/photos/{new}?role=../../etc/passwd", (422,),
            data=generated_jpeg(), content_type="image/jpeg"),
        Row("photo: role NUL", "PUT", "/api/reports/{case}/photos/{new}?role=%00", (422,),
            data=generated_jpeg(), content_type="image/jpeg"),
        Row("photo: undeclared before-photo", "PUT", "/api/reports/{case}/photos/{new}", (404,),
            data=generated_jpeg(), content_type="image/jpeg"),
    ]
    rows += [Row(f"photo: case id {t}", "PUT", f"/api/reports/{t}/photos/{{new}}", (404,), data=b"x",
                 content_type="image/jpeg") for t in TRAVERSAL]
    rows += [Row(f"photo: photo id {t}", "PUT", f"/api/reports/{{case}}/photos/{t}", (404,), data=b"x",
                 content_type="image/jpeg") for t in TRAVERSAL]
    rows += [Row(f"photo download: {t}", "GET", f"/api/photos/{t}", (404,)) for t in
             ["../../etc/passwd/original", "..%2F..%2Fetc%2Fpasswd/original", "{sha}/..%2F..%2Fetc%2Fpasswd",
              "{sha}/../../original"]]
    rows += [Row(f"photo download: {t} (NUL in the path)", "GET", f"/api/photos/{t}", (422,)) for t in
             ["%00/thumb", "{sha}/original%00"]]
    return rows


def public_rows():
    p = "/api/public/reports"
    mp = "multipart/form-data"
    rows = [Row(f"public: description {x!r} stored verbatim", "POST", p, (201,), None, data=public_form(description=x),
                content_type=mp, check=stored_public(x)) for x in XSS[:2] + SQL[:2]]
    rows += [Row(f"public: {name}", "POST", p, expect, None, data=form, content_type=mp) for name, form, expect in [
        ("lat 999", public_form(lat="999"), (422,)), ("lat NaN", public_form(lat="NaN"), (422,)),
        ("lon Infinity", public_form(lon="Infinity"), (422,)), ("lat -Infinity", public_form(lat="-Infinity"), (422,)),
        ("lat 1e400", public_form(lat="1e400"), (422,)), ("accuracy -5", public_form(accuracy_m="-5"), (422,)),
        ("accuracy NaN", public_form(accuracy_m="nan"), (422,)), ("lat text", public_form(lat="北纬"), (422,)),
        ("category traversal", public_form(category=TRAVERSAL[0]), (422,)),
        ("category SQL", public_form(category=SQL[1]), (422,)),
        ("NUL in description", public_form(description="a\x00b"), (422,)),
        ("description 2001 chars", public_form(description="x" * 2001), (422,)),
        ("no photo", public_form(photo=False), (422,)),
        ("photo is HTML", public_form(photo=HTML, filename="x.html", mimetype="text/html"), (415,)),
        ("photo is HTML labelled JPEG", public_form(photo=HTML), (415,)),
        ("photo is a 400 MP bomb", public_form(photo=png_bomb(20_000, 20_000), mimetype="image/png"), (422,)),
        ("photo claims 65000×65000", public_form(photo=jpeg_claiming(65000, 65000)), (422,)),
        ("zero-byte photo", public_form(photo=b""), (422,)),
        ("filename traversal", public_form(filename="../../../etc/passwd"), (201,)),
    ]]
    rows += [
        Row("public: JSON instead of a form", "POST", p, (422,), None, json={"category": "a1-piling", "lat": 1, "lon": 1}),
        Row("public: 100,000 nested [", "POST", p, (400,), None, data=NESTED_ARRAY, content_type="application/json"),
        Row("public: no Content-Type", "POST", p, (422,), None, data=b"category=a1-piling"),
    ]
    rows += [Row(f"public status: number {t}", "GET", f"/api/public/reports/{t}?receipt=x", (404,), None)
             for t in TRAVERSAL + [SQL[1].replace(" ", "%20")]]
    rows += [
        Row("public status: receipt SQL", "GET", "/api/public/reports/{number}?receipt=%27%20OR%20%271%27%3D%271", (404,), None),
        Row("public status: receipt 10,000 chars", "GET", "/api/public/reports/{number}?receipt=" + "x" * 10_000, (422,), None),
        Row("public status: receipt missing", "GET", "/api/public/reports/{number}", (422,), None),
        Row("public status: receipt NUL", "GET", "/api/public/reports/{number}?receipt=%00", (422,), None),
    ]
    return rows


def open311_rows():
    p = "/open311/v2/requests.json"
    rows = [Row(f"open311: description {x!r} stored verbatim", "POST", p, (201,), None, data=open311_form(description=x),
                check=stored_open311(x)) for x in XSS[:2] + SQL[:2]]
    rows += [Row(f"open311: {name}", "POST", p, expect, None, data=form) for name, form, expect in [
        ("lat 999", open311_form(lat="999"), (400,)), ("lat NaN", open311_form(lat="NaN"), (400,)),
        ("long Infinity", open311_form(long="Infinity"), (400,)), ("long -181", open311_form(long="-181"), (400,)),
        ("lat 1e400", open311_form(lat="1e400"), (400,)), ("lat text", open311_form(lat="x"), (400,)),
        ("no location", open311_form(lat=None, long=None), (400,)),
        ("service_code traversal", open311_form(service_code=TRAVERSAL[0]), (400,)),
        ("service_code SQL", open311_form(service_code=SQL[1]), (400,)),
        ("no api_key", open311_form(api_key=None), (403,)), ("api_key SQL", open311_form(api_key=SQL[1]), (403,)),
        ("NUL in description", open311_form(description="\x00"), (422,)),
        ("form over MAX_CONTENT_LENGTH", open311_form(description="x" * 1_100_000), (413,)),
    ]]
    rows += [
        Row("open311: JSON body", "POST", p, (400, 403), None, json={"service_code": "a1-piling"}),
        Row("open311: 100,000 nested [", "POST", p, (400,), None, data=NESTED_ARRAY, content_type="application/json"),
        Row("open311: XML format error is GeoReport <errors>", "POST", "/open311/v2/requests.xml", (400,), None,
            data=open311_form(lat="999")),
    ]
    q = "/open311/v2/requests.json?"
    rows += [Row(f"open311 list: {query}", "GET", q + query, expect, None, check=check) for query, expect, check in [
        ("start_date=garbage", (400,), None), ("start_date=0001-01-01T00:00:00%2B14:00", (400,), None),
        ("end_date=9999-12-31T23:59:59-14:00", (400,), None), ("end_date=2026-01-01T00:00:00", (400,), None),
        ("status=open%27--", (400,), None), ("service_request_id=%27%20OR%201%3D1%20--", (200,), empty_list),
        ("service_code=%27%20OR%201%3D1%20--", (200,), empty_list), ("service_code=%00", (422,), None),
        ("start_date=2026-01-02T00:00:00Z&end_date=2026-01-01T00:00:00Z", (200,), empty_list),
        ("api_key=%27%20OR%201%3D1", (403,), None),
    ]]
    rows += [Row(f"open311 request id {t}", "GET", f"/open311/v2/requests/{t}.json", (404,), None) for t in TRAVERSAL]
    rows += [Row(f"open311 service {t}", "GET", f"/open311/v2/services/{t}.json", (404,), None) for t in TRAVERSAL]
    rows += [Row("open311 media: non-ASCII signature", "GET", "/open311/v2/media/{sha}/thumb.jpg?sig=%C3%A9", (404,), None),
             Row("open311 media: traversal", "GET", "/open311/v2/media/..%2F..%2Fetc%2Fpasswd/thumb.jpg?sig=x", (404,), None)]
    return rows


def list_rows():
    big = base64.urlsafe_b64encode(b"9" * 29).decode().rstrip("=")
    neg = base64.urlsafe_b64encode(b"-99999999999999999999").decode().rstrip("=")
    queries = [
        ("cursor=garbage!!", (422,)), (f"cursor={big}", (422,)), (f"cursor={neg}", (422,)),
        ("cursor=" + "A" * 41, (422,)), ("cursor=%00", (422,)), ("since=garbage", (422,)),
        ("since=0001-01-01T00:00:00%2B14:00", (422,)), ("since=2026-11-28T10:00:00", (422,)),
        ("from=9999-12-31T23:59:59-14:00", (422,)), ("to=0000-01-01T00:00:00Z", (422,)),
        ("status=bogus", (422,)), ("status=,,,", (422,)), ("limit=0", (422,)), ("limit=-1", (422,)),
        ("limit=100000000000000000000", (422,)), ("limit=NaN", (422,)), ("action=999", (422,)),
        ("action=1.5", (422,)), ("order=bogus", (422,)), ("overdue=maybe", (422,)), ("due_within=1e9", (422,)),
        ("flag=recurrence%25%27--", (422,)), ("source=../../etc", (422,)),
        ("category=%27%20OR%20%271%27%3D%271", (200,)), ("unit=..%2F..%2Fetc%2Fpasswd", (200,)),
        ("category=" + "x" * 61, (422,)),
        ("from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z", (200,)),
    ]
    rows = []
    for role in ("office", "inspector", "liaison"):
        rows += [Row(f"list as {role}: {q[:60]}", "GET", f"/api/reports?{q}", expect, role,
                     check=empty_list if expect == (200,) else None) for q, expect in queries]
    rows += [Row(f"export cases: {q}", "GET", f"/api/exports/cases.csv?{q}", expect) for q, expect in [
        ("category=%27%3B%20DROP%20TABLE%20cases%3B--", (200,)), ("status=bogus", (422,)),
        ("from=0001-01-01T00:00:00%2B14:00", (422,)), ("cursor=x", (200,)),
    ]]
    rows += [Row(f"evaluation: {q}", "GET", f"/api/evaluation?{q}", expect) for q, expect in [
        ("from=garbage&to=2026-01-01", (422,)), ("from=9999-12-31&to=9999-12-31", (422,)),
        ("from=0001-01-01&to=0001-01-01", (422,)), ("from=2026-12-01&to=2026-01-01", (422,)),
        ("from=2026-01-01", (422,)), ("from=1900-01-01&to=2999-12-31", (200,)),
    ]]
    rows += [
        Row("evaluation.xlsx: year 9999", "GET", "/api/exports/evaluation.xlsx?from=9999-12-31&to=9999-12-31", (422,)),
        Row("deliveries: limit 10^30", "GET", "/api/webhooks/deliveries?limit=" + "9" * 30, (422,)),
        Row("deliveries: unit traversal", "GET", "/api/webhooks/deliveries?unit=..%2F..%2Fetc%2Fpasswd", (404,)),
        Row("deliveries: unit SQL", "GET", "/api/webhooks/deliveries?unit=%27%20OR%201%3D1", (404,)),
        Row("nearby: case id traversal", "GET", "/api/reports/..%2F..%2Fetc%2Fpasswd/nearby", (404,)),
        Row("after SQL-looking input the tables are intact", "GET", "/api/audit", (200,), check=users_intact),
    ]
    return rows


def admin_rows():
    rows = [Row(f"user create: display_name {x!r} stored verbatim", "POST", "/api/users", (201,),
                json=lambda w, x=x: {"username": f"u{uuid.uuid4().hex[:8]}", "role": "inspector", "display_name": x},
                check=user_text("display_name", x)) for x in XSS[:2] + SQL[:1]]
    rows += [Row(f"user create: {name}", "POST", "/api/users", expect, json=body) for name, body, expect in [
        ("username <script>", {"username": XSS[1], "role": "inspector"}, (422,)),
        ("username SQL", {"username": SQL[0], "role": "inspector"}, (422,)),
        ("role traversal", {"username": "abc", "role": TRAVERSAL[0]}, (422,)),
        ("role admin (office may not)", {"username": "abcd", "role": "admin"}, (403,)),
        ("unit traversal", {"username": "abcde", "role": "liaison", "unit": TRAVERSAL[0]}, (422,)),
        ("password 10,000 chars", {"username": "abcdef", "role": "inspector", "password": "p" * 10_000}, (422,)),
    ]]
    rows += [
        Row("user patch: display_name XSS stored verbatim", "PATCH", "/api/users/{user}", (200,),
            json={"display_name": XSS[0]}, check=user_text("display_name", XSS[0])),
        Row("user patch: restore display_name", "PATCH", "/api/users/{user}", (200,), json={"display_name": None}),
        Row("user patch: active 'yes please'", "PATCH", "/api/users/{user}", (422,), json={"active": "yes please"}),
    ]
    rows += [Row(f"user patch: id {t}", "PATCH", f"/api/users/{t}", (404,), json={"active": False}) for t in
             ["99999999999999999999", "2147483648", "-1", "0", "1.5", "..%2F..%2Fetc%2Fpasswd"]]
    rows += [Row(f"revoke tokens: id {t}", "POST", f"/api/users/{t}/revoke-tokens", (404,)) for t in
             ["99999999999999999999", "0"]]
    rows += [Row(f"category patch: {name}", "PATCH", path, expect, "admin", json=body) for name, path, body, expect in [
        ("code traversal", "/api/catalog/categories/..%2F..%2Fetc%2Fpasswd", {"active": True}, (404,)),
        ("code SQL", "/api/catalog/categories/%27%20OR%201%3D1", {"active": True}, (404,)),
        ("deadline 10^20", "/api/catalog/categories/a1-piling", {"deadline_value": 10 ** 20}, (422,)),
        ("deadline -1", "/api/catalog/categories/a1-piling", {"deadline_value": -1}, (422,)),
        ("lead unit SQL", "/api/catalog/categories/a1-piling", {"lead_unit": SQL[1]}, (422,)),
        ("31 cooperating units", "/api/catalog/categories/a1-piling", {"cooperating_units": ["zfj"] * 31}, (422,)),
    ]]
    polygon = {"type": "Polygon", "coordinates": [[[109.48, 24.36], [109.49, 24.36], [109.49, 24.37], [109.48, 24.36]]]}
    rows += [Row(f"zone: {name}", "PUT", path, expect, "admin", json=body) for name, path, body, expect in [
        ("name XSS", "/api/catalog/zones/z-xss", {"name": XSS[0], "lead_unit": "zfj", "geometry": polygon}, (200,)),
        ("code traversal", "/api/catalog/zones/..%2F..%2Fetc%2Fpasswd", {"name": "z", "lead_unit": "zfj",
                                                                         "geometry": polygon}, (200, 404, 422)),
        ("ring not closed", "/api/catalog/zones/z1", {"name": "z", "lead_unit": "zfj", "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [2, 2]]]}}, (422,)),
        ("lat 999", "/api/catalog/zones/z1", {"name": "z", "lead_unit": "zfj", "geometry": {
            "type": "Polygon", "coordinates": [[[0, 999], [1, 0], [1, 1], [0, 999]]]}}, (422,)),
        ("coordinates a string", "/api/catalog/zones/z1", {"name": "z", "lead_unit": "zfj", "geometry": {
            "type": "Polygon", "coordinates": "../../etc/passwd"}}, (422,)),
        ("geometry Point", "/api/catalog/zones/z1", {"name": "z", "lead_unit": "zfj", "geometry": {
            "type": "Point", "coordinates": [0, 0]}}, (422,)),
        ("priority 10^20", "/api/catalog/zones/z1", {"name": "z", "lead_unit": "zfj", "geometry": polygon,
                                                    "priority": 10 ** 20}, (422,)),
    ]]
    rows += [Row("zone: NaN coordinates", "PUT", "/api/catalog/zones/z1", (422,), "admin", content_type="application/json",
                 data='{"name": "z", "lead_unit": "zfj", "geometry": {"type": "Polygon", "coordinates": '
                      '[[[NaN, 0], [1, 0], [1, 1], [NaN, 0]]]}}')]
    rows += [Row(f"webhook: {u}", "PUT", "/api/units/zfj/webhook", (422,), json={"webhook_url": u}) for u in
             ["javascript:alert(1)", "file:///etc/passwd", "http://" + "a" * 500 + ".example", "not a url"]]
    rows += [Row(f"webhook unit {t}", "PUT", f"/api/units/{t}/webhook", (404,), json={"webhook_url": None})
             for t in TRAVERSAL]
    rows += [
        Row("sign-in: SQL username", "POST", "/api/auth/token", (401,), None,
            json={"username": "admin' --", "password": "' OR '1'='1"}, ),
        Row("sign-in: username 61 chars", "POST", "/api/auth/token", (422,), None, json={"username": "u" * 61, "password": "x"}),
        Row("sign-in: password 10,000 chars", "POST", "/api/auth/token", (422,), None,
            json={"username": "inspector.hostile", "password": "p" * 10_000}),
        Row("sign-in: numbers for strings", "POST", "/api/auth/token", (422,), None, json={"username": 1, "password": 2}),
        Row("sign-in: XSS username", "POST", "/api/auth/token", (401,), None, json={"username": XSS[0], "password": "x"}),
        Row("sign-in: after all that, tables intact", "GET", "/api/audit", (200,), check=users_intact),
    ]
    rows += [Row(f"shell file {t}", "GET", t, (404,), None) for t in
             ["/js/..%2F..%2Fserver%2Fconfig.py", "/vendor/idb/..%2F..%2F..%2F..%2Fserver%2Fconfig.py",
              "/vendor/..%2F..%2Fetc/passwd", "/css/%2e%2e/%2e%2e/wsgi.py", "/icons/..%2F..%2F.git%2Fconfig"]]
    return rows


ROWS = generic_rows() + case_rows() + transition_rows() + photo_rows() + public_rows() + open311_rows() \
    + list_rows() + admin_rows()


def assert_envelope(r):
    body = r.get_json(silent=True)
    assert isinstance(body, dict), f"not a JSON envelope: {r.mimetype} {r.data[:200]!r}"
    assert isinstance(body.get("code"), str) and isinstance(body.get("message"), str) \
        and isinstance(body.get("errors"), dict), body


@pytest.mark.parametrize("row", ROWS, ids=[r.name[:90] for r in ROWS])
def test_hostile_input(world, row):
    r = row.send(world)
    RESULTS.append({"input": row.name, "method": row.method, "path": row.path[:120], "status": r.status_code,
                    "code": (r.get_json(silent=True) or {}).get("code") if r.is_json and r.status_code >= 400 else None})
    assert r.status_code < 500, (r.status_code, r.data[:300])
    assert r.status_code in row.expect, (r.status_code, r.data[:300])
    if r.status_code >= 400:
        if row.path.endswith(".xml"):  # GeoReport v2 clients get its own error document
            assert r.mimetype == "text/xml" and b"<errors><error><code>400</code>" in r.data
        else:
            assert_envelope(r)
    elif row.check is not None:
        row.check(world, r)


# --- through gunicorn: the bombs and oversize bodies, and the workers' peak memory --------------

def worker_pids(server):
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    return [int(p) for p in children]


def memory_kb(pid, field_name):
    """VmRSS (resident now) or VmHWM (the peak resident since the last reset) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field_name}:\s+(\d+) kB", status, re.M).group(1))


def reset_peak(pid):
    """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so the peak we read
    afterwards is the one reached while handling the hostile requests, not during the warm-up."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def http(server, method, path, body=b"", headers=None, chunked=False):
    """Send the whole body (refused bodies are drained by the server), then read the answer."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    try:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        view = memoryview(body)
        try:
            for i in range(0, len(body), 1 << 20):
                part = view[i:i + (1 << 20)]
                sock.sendall(b"%x\r\n" % len(part) + part + b"\r\n" if chunked else part)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed early; its answer may still be readable
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            if not data:
                return None, b"connection reset before any answer"
    finally:
        sock.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, payload


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for name, (filename, data, mimetype) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {mimetype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# The bound, over each worker's resident memory before the hostile requests: JPEG decodes at 1/8
# scale, so the most one request may hold is a whole decode of another format, capped by
# imaging.FULL_DECODE_MAX_BYTES (200 MB); bombs past the caps are refused from their headers and
# oversize bodies are streamed to disk or refused unread. 200 MB + 50 MB for allocator slack fails
# if that cap stops working (the 100 MP RGB PNG is 300 MB decoded), if the within-caps 100 MP
# 1-bit PNG is copied and converted before shrinking (it took 570 MB so), or if a body is held.
RSS_GROWTH_LIMIT_MB = 250


def test_bombs_and_oversize_bodies_keep_memory_bounded(live_server_factory, add_user):
    # The warm-up files a few public complaints; the per-address limit is not under test here.
    server = live_server_factory(XUNCHA_PUBLIC_REPORTS_PER_HOUR="1000")
    add_user("office.live", "office")
    status, body = http(server, "POST", "/api/auth/token", json.dumps(
        {"username": "office.live", "password": E2E_PASSWORD}).encode(), {"Content-Type": "application/json"})
    assert status == 200, body
    bearer = {"Authorization": f"Bearer {json.loads(body)['token']}"}
    jpeg = generated_jpeg((1600, 1200))
    decl = declare(jpeg)
    case_id = str(uuid.uuid4())
    status, body = http(server, "PUT", f"/api/reports/{case_id}", json.dumps(case_body(photos=[decl])).encode(),
                        {**bearer, "Content-Type": "application/json"})
    assert status == 201, body
    status, body = http(server, "PUT", f"/api/reports/{case_id}/photos/{decl['id']}", jpeg,
                        {**bearer, "Content-Type": "image/jpeg"})
    assert status == 201, body
    # Warm both workers up: imports, the database pool, Pillow's decoders, one real derivative each.
    for i in range(6):
        status, body = http(server, "PUT", f"/api/reports/{case_id}/photos/{decl['id']}", jpeg,
                            {**bearer, "Content-Type": "image/jpeg"})
        assert status == 200, body
        form, ctype = multipart({"category": "a1-piling", "lat": "24.3672", "lon": "109.4895"},
                                {"photo": ("p.jpg", generated_jpeg((1600, 1200), color=(i, 5, 5)), "image/jpeg")})
        status, body = http(server, "POST", "/api/public/reports", form, {"Content-Type": ctype})
        assert status in (201, 429), body
    pids = worker_pids(server)
    assert len(pids) == 2
    warm_peak = {pid: memory_kb(pid, "VmHWM") for pid in pids}
    for pid in pids:
        reset_peak(pid)
    before = {pid: memory_kb(pid, "VmRSS") for pid in pids}

    oversize = 30 * 1024 * 1024  # past the default 25 MB photo limit
    bomb_400mp = png_bomb(20_000, 20_000)
    bomb_form, bomb_ctype = multipart({"category": "a1-piling", "lat": "24.3672", "lon": "109.4895"},
                                      {"photo": ("bomb.png", bomb_400mp, "image/png")})
    photo_path = f"/api/reports/{case_id}/photos/{uuid.uuid4()}?role=after"
    requests = [
        ("live: PNG IHDR claims 100000×100000", "PUT", photo_path, png_claiming(100_000, 100_000), "image/png", False, 422),
        ("live: JPEG SOF claims 65000×65000", "PUT", photo_path, jpeg_claiming(65000, 65000), "image/jpeg", False, 422),
        ("live: real 400 MP PNG bomb", "PUT", photo_path, bomb_400mp, "image/png", False, 422),
        ("live: real 121 MP PNG bomb", "PUT", photo_path, png_bomb(11_000, 11_000), "image/png", False, 422),
        ("live: zTXt inflating to 64 MB", "PUT", photo_path, ztxt_bomb(64), "image/png", False, 422),
        ("live: RGB PNG 100 MP (300 MB to decode whole)", "PUT", photo_path, png_bomb(10_000, 10_000, rgb=True),
         "image/png", False, 422),
        # Within every cap, so accepted: 12 kB that decode to 100 MB, then shrink before any copy.
        ("live: 1-bit PNG 100 MP (within the caps)", "PUT", f"/api/reports/{case_id}/photos/{uuid.uuid4()}?role=after",
         png_bomb(10_000, 10_000), "image/png", False, 201),
        ("live: 30 MB photo body, Content-Length", "PUT", photo_path, b"\xff\xd8\xff" + bytes(oversize), "image/jpeg", False, 413),
        ("live: 30 MB photo body, chunked", "PUT", photo_path, b"\xff\xd8\xff" + bytes(oversize), "image/jpeg", True, 413),
        ("live: 5 MB JSON case body", "PUT", f"/api/reports/{uuid.uuid4()}",
         b'{"description": "' + b"x" * 5_000_000 + b'"}', "application/json", False, 413),
        # Chunked, so no Content-Length to refuse up front: werkzeug stops reading at MAX_CONTENT_LENGTH and
        # the cut-off JSON does not parse (400); either answer keeps the body out of memory.
        ("live: 5 MB JSON chunked", "POST", "/api/auth/token", b'{"username": "' + b"x" * 5_000_000 + b'"}',
         "application/json", True, (400, 413)),
        ("live: 1,000,000 nested [", "PUT", f"/api/reports/{uuid.uuid4()}", b"[" * 1_000_000, "application/json", False, 400),
        ("live: 5 MB Open311 form", "POST", "/open311/v2/requests.json", b"description=" + b"x" * 5_000_000,
         "application/x-www-form-urlencoded", False, 413),
        ("live: public form with a 400 MP bomb", "POST", "/api/public/reports", bomb_form, bomb_ctype, False, 422),
    ]
    failures = []
    for name, method, path, data, ctype, chunked, expected in requests:
        headers = {"Content-Type": ctype} if path.startswith(("/api/public", "/open311")) else \
            {**bearer, "Content-Type": ctype}
        status, payload = http(server, method, path, data, headers, chunked=chunked)
        code = None
        try:
            answer = json.loads(payload)
            if status is not None and status >= 400:
                code = answer["code"]
                assert isinstance(answer["message"], str) and isinstance(answer["errors"], dict)
            else:
                assert answer["received"] is True
        except (ValueError, KeyError, TypeError, AssertionError):
            failures.append(f"{name}: {status}, not the expected JSON: {payload[:200]!r}")
        RESULTS.append({"input": name, "method": method, "path": path[:120], "status": status, "code": code})
        if status not in (expected if isinstance(expected, tuple) else (expected,)):
            failures.append(f"{name}: {status} (expected {expected}) {payload[:200]!r}")
    after = {pid: memory_kb(pid, "VmHWM") for pid in worker_pids(server)}
    growth_mb = {pid: (after.get(pid, 0) - before[pid]) / 1024 for pid in before}
    peak = {"warm_up_peak_kb": warm_peak, "rss_before_kb": before, "peak_during_kb": after,
            "growth_mb": {p: round(g, 1) for p, g in growth_mb.items()}, "limit_mb": RSS_GROWTH_LIMIT_MB}
    RESULTS.append({"input": "live: workers' peak RSS (VmHWM)", "peak_rss": peak, "status": None, "code": None})
    print("peak RSS", peak)
    assert not failures, failures
    assert set(after) == set(before), "a worker died or was replaced"
    assert max(growth_mb.values()) < RSS_GROWTH_LIMIT_MB, peak
