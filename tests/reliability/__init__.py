"""Reliability tests: sync through injected network faults, and photo uploads through SIGKILLs.

Shared here by both tests: the intended cases, the audit of database and photo store against them,
and the figures file scripts/reliability.py prints. XUNCHA_RELIABILITY_FULL=1 selects full mode.
"""
import hashlib
import io
import json
import os
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Case, Photo
from server.services import auth

from ..helpers import case_body, declare, generated_jpeg, sample

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("XUNCHA_RELIABILITY_FULL") == "1"
TEST_DB = os.environ.get("XUNCHA_TEST_DB", "sqlite")
# Real phone photos (EXIF, several MB) among the generated ones; reused, so blobs get shared.
REAL_SAMPLES = ("gps/DSCN0010.jpg", "mobile/HMD_Nokia_8.3_5G.jpg", "mobile/jolla.jpg",
                "orientation/portrait_6.jpg")


def issue_tokens(app, role, count, prefix):
    """count users of a role with a bearer token each: [token]."""
    tokens = []
    with app.app_context():
        for i in range(count):
            user = auth.create_user(f"{prefix}-{i}-{uuid.uuid4().hex[:6]}", role,
                                    "correct horse battery")
            raw, _ = auth.issue_token(user)
            db.session.commit()
            tokens.append(raw)
        db.session.remove()
    return tokens


def random_photo(rng):
    """A JPEG of varied size: mostly generated, sometimes a real sample."""
    if rng.random() < 0.12:
        return sample(rng.choice(REAL_SAMPLES))
    size = (rng.randrange(64, 1800), rng.randrange(48, 1400))
    color = tuple(rng.randrange(256) for _ in range(3))
    return generated_jpeg(size, color, quality=rng.choice([60, 85, 95]))


def noise_jpeg(rng, size=(2000, 1500)):
    """A large incompressible JPEG (about 2 MB), different every call."""
    img = Image.effect_noise(size, rng.randrange(40, 90)).convert("RGB")
    img.putpixel((0, 0), tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def planned_case(photo_bytes):
    """(case id, body without photos, [(declaration, bytes)]) for a case the phone means to send."""
    case_id = str(uuid.uuid4())
    # The case id in the description finds a case stored twice under another id.
    body = case_body(description=f"可靠性测试 {case_id}",
                     captured_at=datetime.now(timezone.utc).replace(microsecond=0))
    return case_id, body, [(declare(b), b) for b in photo_bytes]


def wait_until(predicate, timeout, what):
    """Poll a condition the server gives no event for (files on disk); fail after timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def store_files(root):
    """{'blobs': [...], 'derived': [...], 'tmp': [...]}: every file under the photo store."""
    return {sub: sorted(p for p in (root / sub).rglob("*") if p.is_file())
            for sub in ("blobs", "derived", "tmp")}


def _whole_jpeg(path):
    data = path.read_bytes()
    return data[:2] == b"\xff\xd8" and data.rstrip(b"\0")[-2:] == b"\xff\xd9"


def audit(app, intended):
    """Compare the server's database and photo store with intended {case id: {photo id: sha256}}."""
    root = Path(app.config["PHOTO_STORE"])
    with app.app_context():
        cases = db.session.execute(select(Case.id, Case.description)).all()
        rows = db.session.execute(
            select(Photo.id, Case.id.label("case_id"), Photo.sha256, Photo.received_at)
            .join(Case, Photo.case_pk == Case.pk)).all()
        db.session.remove()
    stored = {str(c.id) for c in cases}
    markers = [c.description for c in cases]
    held = {}
    for r in rows:
        held.setdefault(str(r.case_id), {})[str(r.id)] = r.sha256 if r.received_at else None
    received = {r.sha256 for r in rows if r.received_at}
    files = store_files(root)
    blob_sha = {}
    for path in files["blobs"]:
        blob_sha[path.name] = sha256_file(path)
    found = {
        "lost": sorted(set(intended) - stored),
        "extra": sorted(stored - set(intended)),
        "doubled": sorted(m for m, n in Counter(markers).items() if n > 1),
        "wrong_photos": sorted(c for c in intended if c in stored and
                               held.get(c, {}) != intended[c]),
        "rows_without_blob": sorted(s for s in received if s not in blob_sha),
        "bad_blobs": sorted(n for n, digest in blob_sha.items() if n != digest),
        "blobs_without_row": sorted(n for n in blob_sha if n not in received),
        "bad_derived": sorted(p.name for p in files["derived"] if not _whole_jpeg(p)),
        "derived_without_row": sorted(p.name for p in files["derived"]
                                      if p.name.split("-")[0] not in received),
        "temp_files": [p.name for p in files["tmp"]],
    }
    figures = {"cases_intended": len(intended), "cases_stored": len(stored & set(intended)),
               "cases_lost": len(found["lost"]), "cases_extra": len(found["extra"]),
               "cases_doubled": len(found["doubled"]),
               "photos_intended": sum(len(p) for p in intended.values()),
               "photos_checked": sum(1 for c in intended for s in held.get(c, {}).values()
                                     if s is not None and blob_sha.get(s) == s),
               "blobs": len(blob_sha)}
    return found, figures


def write_figures(name, figures):
    """Write test-artifacts/reliability-<name>-<db>.json for scripts/reliability.py."""
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    figures = {"test": name, "database": TEST_DB, "mode": "full" if FULL else "reduced",
               "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **figures}
    (out / f"reliability-{name}-{TEST_DB}.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
