"""Photo ingest, derivatives and case sync, each measured beside its own baseline (issue 6, 1–3).

Used by scripts/bench.py; every function returns rows of (section, figure, value, baseline, unit,
goal ratio) so the caller prints one table.
"""
import hashlib
import http.client
import io
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_db import drop_database, fresh_database  # noqa: E402
from tests.live import LiveServer  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples" / "mobile"
YANGHE = {"lat": 24.3672, "lon": 109.4891}


# ---------------------------------------------------------------- test photos

def phone_jpeg(seed, size=(4000, 3000)):
    """A 12 MP JPEG with a phone photo's weight (5–7 MB): gradients under sensor-like noise."""
    w, h = size
    grad = Image.linear_gradient("L").resize((w, h))
    noise = [Image.effect_noise((w, h), 40 + seed * 7) for _ in range(2)]
    scene = Image.merge("RGB", [grad.rotate(90 * seed, expand=False), noise[0],
                                grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])
    im = Image.blend(scene, Image.merge("RGB", [noise[0], noise[1], noise[0]]), 0.2)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def unique(jpeg, tag):
    """The same picture with a COM segment after SOI, so every upload has its own SHA-256."""
    payload = f"bench {tag}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def photo_set(generated=4):
    """Generated 12 MP photos plus the large real phone photos in shared/samples/mobile."""
    photos = [phone_jpeg(i) for i in range(generated)]
    photos += [p.read_bytes() for p in sorted(SAMPLES.glob("*.jpg")) if p.stat().st_size > 500_000]
    return photos


# ---------------------------------------------------------------- a server on a fresh database

class BenchServer:
    """A migrated SQLite database with the catalog and an inspector, served by gunicorn."""

    def __init__(self, workers, kind="sqlite"):
        from server import create_app
        from server.extensions import db
        from server.services import auth, catalog_loader
        from flask_migrate import upgrade
        self.dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
        url, self.schema = fresh_database(kind, self.dir)  # a PostgreSQL schema is dropped by stop()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": str(self.dir / "photos")})
        with app.app_context():
            upgrade()
            catalog_loader.load_plan()
            user = auth.create_user("bench-inspector", "inspector", "bench-password")
            token, _ = auth.issue_token(user)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.live = LiveServer(url, self.dir / "photos", workers=workers)
        self.live.start()
        self.warm(workers)

    def warm(self, workers):
        """Wait until every worker has booted and answered: a cold worker's first request is slow."""
        def ping(_):
            c = self.conn()
            for _ in range(3):
                status, _, _ = request(c, "GET", "/api/catalog", headers=self.headers)
                if status != 200:
                    raise RuntimeError(f"warm-up answered {status}")
            c.close()
        in_threads(workers * 3, ping)

    def conn(self):
        """A keep-alive connection to the server."""
        return http.client.HTTPConnection("127.0.0.1", self.live.port, timeout=120)

    def stop(self):
        self.live.stop()
        drop_database(self.schema)


def request(conn, method, path, body=None, headers=None):
    """One request on a keep-alive connection: (status, parsed JSON or None, seconds)."""
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - t0
    return resp.status, (json.loads(data) if data else None), elapsed


def case_json(photos):
    """A case body declaring these photo bytes, as the PWA sends it."""
    decls = [{"id": str(uuid.uuid4()), "sha256": hashlib.sha256(b).hexdigest(), "size": len(b),
              "content_type": "image/jpeg"} for b in photos]
    body = {"category": "a1-piling", "description": "背街小巷堆放杂物",
            "location": {**YANGHE, "accuracy_m": 12.5, "source": "device"},
            "captured_at": datetime.now(timezone.utc).isoformat(), "photos": decls}
    return body, decls


def in_threads(n, work):
    """Run work(i) in n threads; returns the list of their results and the wall time."""
    results = [None] * n
    errors = []

    def run(i):
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 — reported and made fatal by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"a benchmark client failed: {errors[0]!r}")
    return results, time.perf_counter() - t0


def pct(samples, q):
    """The q-th percentile (0–100) of samples, nearest rank."""
    s = sorted(samples)
    return s[max(0, min(len(s) - 1, round(q / 100 * len(s)) - 1))]
