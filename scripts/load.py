"""Load test: simulated inspectors syncing cases and phone-size photos to gunicorn on loopback.

Starts gunicorn (scripts/gunicorn.conf.py) on a fresh SQLite file or PostgreSQL schema and an empty
photo store, then runs one thread per inspector: sign in once, then loop — think (random), PUT a case
declaring 1–3 photos, PUT each photo the server lists as missing (1–3 MB JPEGs, 8–12 MP, each upload
made unique by a random COM segment so no two share a SHA-256), and now and then GET "my cases" and
the catalog (conditional, as the PWA does: 304 counts as success). Any other status or an exception is
an error. Prints requests, errors, p50/p95/p99 latency per kind, throughput, photos/s and MB/s.
Exits non-zero only when the run itself fails (the server does not start or dies), not on a missed goal.

    .venv/bin/python scripts/load.py [--users 200] [--duration 300] [--db sqlite|postgresql]
                                     [--think 60-240] [--backlog 3] [--workers N] [--quick]
"""
import argparse
import hashlib
import http.client
import io
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_db import drop_database, fresh_database  # noqa: E402
PASSWORD = "load-test-password"
KINDS = ("sign-in", "put case", "put photo", "my cases", "catalog")
OK = {"sign-in": {200}, "put case": {201}, "put photo": {201}, "my cases": {200}, "catalog": {200, 304}}
YANGHE = (24.3672, 109.4895)


def base_photos(rng):
    """Three phone-like JPEGs (about 1.3, 2.1 and 3.0 MB; 8 and 12 MP) with camera EXIF, made once."""
    from PIL import Image
    small = Image.frombytes("RGB", (252, 189), rng.randbytes(252 * 189 * 3))
    photos = []
    for size, quality in (((3264, 2448), 80), ((4032, 3024), 85), ((4032, 3024), 93)):
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "LoadCam", "Phone 12"  # Make, Model
        buf = io.BytesIO()
        small.resize(size, Image.BICUBIC).save(buf, "JPEG", quality=quality, exif=exif)
        photos.append(buf.getvalue())
    return photos


def unique(photo, rng):
    """The photo with a random COM segment after SOI: the same image, a new SHA-256."""
    tag = rng.randbytes(16)
    return photo[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + photo[2:]


def prepare_database(kind, tmp, users):
    """A migrated database with the catalog and the inspectors; returns (url, schema, category codes)."""
    from sqlalchemy import select
    from flask_migrate import upgrade
    from server import create_app
    from server.extensions import db
    from server.models import Category, User
    from server.services import auth, catalog_loader
    url, schema = fresh_database(kind, tmp, "load")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": f"{tmp}/photos"})
    with app.app_context():
        upgrade()
        catalog_loader.load_plan()
        first = auth.create_user("load-0", "inspector", PASSWORD)
        # One scrypt hash shared by all: hashing 200 passwords is not what this test measures.
        db.session.execute(User.__table__.insert(), [
            dict(username=f"load-{i}", password_hash=first.password_hash, role="inspector", active=True,
                 created_at=datetime.now(timezone.utc)) for i in range(1, users)])
        db.session.commit()
        codes = db.session.execute(select(Category.code).where(Category.active.is_(True))).scalars().all()
        db.session.remove()
        db.engine.dispose()
    return url, schema, codes


def start_server(url, tmp, workers):
    """gunicorn on a free loopback port; returns (process, port) once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "PHOTO_STORE": f"{tmp}/photos", "SECRET_KEY": secrets.token_urlsafe(48)}
    cmd = [sys.executable, "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
           "--access-logfile", f"{tmp}/access.log", "--error-logfile", f"{tmp}/server.log"]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd + ["wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"gunicorn did not start; see {tmp}/server.log")


def stop_server(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Stats:
    """Latencies per kind, errors, bytes and photos uploaded; shared by the inspector threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = Counter()
        self.photos = self.bytes = 0

    def record(self, kind, seconds, error=None):
        with self.lock:
            self.latency[kind].append(seconds)
            if error:
                self.errors[(kind, error)] += 1


class Inspector:
    """One simulated phone: its own connection, token, random generator and the catalog's ETag."""

    def __init__(self, n, port, args, photos, codes, stats, end):
        self.n, self.port, self.args, self.photos, self.codes = n, port, args, photos, codes
        self.stats, self.end, self.rng = stats, end, random.Random(args.seed * 100_003 + n)
        self.token, self.etag, self.conn = None, None, None

    def call(self, kind, method, path, body=None, headers=None):
        """One request; returns (status, body, headers), or (None, None, {}) after an exception."""
        hdrs = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        hdrs.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
        except Exception as err:  # noqa: BLE001 (every failure is a result to report)
            self.stats.record(kind, time.perf_counter() - t0, f"{type(err).__name__}: {err}")
            self.conn.close()
            self.conn = None
            return None, None, {}
        error = None if r.status in OK[kind] else f"HTTP {r.status}: {data[:160].decode(errors='replace')}"
        self.stats.record(kind, time.perf_counter() - t0, error)
        return r.status, data, r.headers

    def run(self):
        # Phones come back into signal at different moments of the first minute (or of the run).
        time.sleep(self.rng.uniform(0, min(60, self.args.think[1], self.args.duration / 5)))
        status, data, _ = self.call("sign-in", "POST", "/api/auth/token", json.dumps(
            {"username": f"load-{self.n}", "password": PASSWORD}), {"Content-Type": "application/json"})
        if status != 200:
            return
        self.token = json.loads(data)["token"]
        # The cases captured offline go first, back to back, as the outbox sends them.
        for _ in range(self.rng.randint(0, self.args.backlog)):
            self.sync()
        while time.monotonic() < self.end:
            self.sync()
            if self.conn is not None:  # a phone's sync burst ends; the next one opens a new connection
                self.conn.close()
                self.conn = None
            pause = self.rng.uniform(*self.args.think)
            if time.monotonic() + pause >= self.end:
                return
            time.sleep(pause)

    def sync(self):
        rng = self.rng
        photos = {str(uuid.uuid4()): unique(rng.choice(self.photos), rng) for _ in range(rng.randint(1, 3))}
        body = {"category": rng.choice(self.codes), "description": "负载测试：背街小巷堆放杂物",
                "location": {"lat": YANGHE[0] + rng.uniform(-0.01, 0.01), "lon": YANGHE[1] + rng.uniform(-0.01, 0.01),
                             "accuracy_m": rng.uniform(5, 30), "source": "device"},
                "captured_at": (datetime.now(timezone.utc) - timedelta(seconds=rng.randint(0, 600))).isoformat(),
                "photos": [{"id": pid, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                            "content_type": "image/jpeg"} for pid, data in photos.items()]}
        status, data, _ = self.call("put case", "PUT", f"/api/reports/{uuid.uuid4()}", json.dumps(body),
                                 {"Content-Type": "application/json"})
        if status == 201:
            case = json.loads(data)
            for pid in case["missing_photos"]:
                status, _, _ = self.call("put photo", "PUT", f"/api/reports/{case['id']}/photos/{pid}", photos[pid],
                                      {"Content-Type": "image/jpeg"})
                if status == 201:
                    with self.stats.lock:
                        self.stats.photos += 1
                        self.stats.bytes += len(photos[pid])
        if rng.random() < 0.3:
            self.call("my cases", "GET", "/api/reports?limit=50")
        if rng.random() < 0.2:
            # Conditional after the first copy, as the PWA keeps the catalog cached.
            status, _, headers = self.call("catalog", "GET", "/api/catalog",
                                           headers={"If-None-Match": self.etag} if self.etag else None)
            if status == 200:
                self.etag = headers.get("ETag")


def pct(samples, p):
    """The p-th percentile (nearest rank) in ms."""
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))] * 1000


def report(args, stats, elapsed, workers, load_before):
    """Print the table and the totals."""
    print(f"\nload: {args.users} inspectors, {args.duration} s, think {args.think[0]:g}–{args.think[1]:g} s, "
          f"backlog ≤ {args.backlog} cases, "
          f"{args.db}, gunicorn {workers} workers × 4 threads, {os.cpu_count()} cores, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"{'kind':<12}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    every = []
    for kind in KINDS:
        samples = stats.latency.get(kind, [])
        every += samples
        errs = sum(n for (k, _), n in stats.errors.items() if k == kind)
        if samples:
            print(f"{kind:<12}{len(samples):>9}{errs:>8}{pct(samples, 50):>9.0f}{pct(samples, 95):>9.0f}"
                  f"{pct(samples, 99):>9.0f}{max(samples) * 1000:>9.0f}")
    total_errors = sum(stats.errors.values())
    if every:
        print(f"{'all':<12}{len(every):>9}{total_errors:>8}{pct(every, 50):>9.0f}{pct(every, 95):>9.0f}"
              f"{pct(every, 99):>9.0f}{max(every) * 1000:>9.0f}")
    print(f"throughput {len(every) / elapsed:.1f} req/s over {elapsed:.0f} s; photos {stats.photos} "
          f"({stats.photos / elapsed:.2f}/s), {stats.bytes / 1e6:.0f} MB ({stats.bytes / 1e6 / elapsed:.2f} MB/s)")
    p95 = pct(every, 95) if every else float("inf")
    print(f"goals: errors 0 → {total_errors} ({'met' if total_errors == 0 else 'NOT met'}); "
          f"p95 < 1000 ms → {p95:.0f} ms ({'met' if p95 < 1000 else 'NOT met'})")
    print(f"load average 1 min: {load_before:.2f} before, {os.getloadavg()[0]:.2f} at the end "
          f"(the machine is shared; other work shows here)")
    print(f"errors: {total_errors}")
    for (kind, error), n in stats.errors.most_common(20):
        print(f"  {n:>5} × {kind}: {error}")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int)
    ap.add_argument("--duration", type=float, help="seconds of syncing (default 300)")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--think", help="seconds between an inspector's cases, e.g. 60-240 (default) or 5-20 (stress)")
    ap.add_argument("--backlog", type=int, help="up to this many offline cases each phone sends first (default 3)")
    ap.add_argument("--workers", type=int, help="gunicorn workers (default: scripts/gunicorn.conf.py)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 20 users, 20 s, think 1–4 s, backlog 1")
    args = ap.parse_args()
    # An inspector walking alleys files a case every one to four minutes; a phone coming back into
    # signal first sends what it captured offline. --think 5-20 is a stress run far past that.
    quick = {"users": 20, "duration": 20, "think": "1-4", "backlog": 1}
    full = {"users": 200, "duration": 300, "think": "60-240", "backlog": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.think = tuple(float(x) for x in args.think.split("-"))
    return args


def main():
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xuncha-load-"))
    photos = base_photos(random.Random(args.seed))
    print(f"photos: {', '.join(f'{len(p) / 1e6:.1f} MB' for p in photos)}; preparing {args.db} ...", flush=True)
    t_setup = time.monotonic()
    url, schema, codes = prepare_database(args.db, tmp, args.users)
    proc = None
    try:
        proc, port = start_server(url, tmp, args.workers)
        print(f"database and server ready in {time.monotonic() - t_setup:.1f} s", flush=True)
        workers = args.workers or int(os.environ.get("XUNCHA_WORKERS", os.cpu_count() * 2 + 1))
        stats, load_before, t0 = Stats(), os.getloadavg()[0], time.monotonic()
        end = t0 + args.duration
        threads = [threading.Thread(target=Inspector(n, port, args, photos, codes, stats, end).run, daemon=True)
                   for n in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} during the run; see {tmp}/server.log")
        report(args, stats, elapsed, workers, load_before)
        return 0
    except RuntimeError as err:
        print(f"load run failed: {err}", file=sys.stderr)
        log = tmp / "server.log"
        if log.exists():
            sys.stderr.write(log.read_text()[-3000:])
        return 2
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(schema)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
