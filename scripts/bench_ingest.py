"""Issue 6, figures 1–3: photo ingest, derivatives, case sync — each beside its own baseline.

Each function returns rows (section, figure, value, baseline, unit, goal) where goal is the ratio
value/baseline the issue asks for (None: reported only).
"""
import hashlib
import http.client
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

from bench_io import BenchServer, case_json, in_threads, pct, photo_set, request, unique
from tests.live import LiveServer

JSON = {"Content-Type": "application/json"}


# ---------------------------------------------------------------- 1. photo ingest

def _unavoidable(job):
    """The least a server must do with an upload: stream to disk hashing, fsync, rename, one decode."""
    src, out_dir = job
    data = Path(src).read_bytes()
    tmp = Path(out_dir) / f"{uuid.uuid4().hex}.part"
    h = hashlib.sha256()
    with open(tmp, "wb") as f:
        for i in range(0, len(data), 256 * 1024):
            chunk = data[i:i + 256 * 1024]
            h.update(chunk)
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    final = Path(out_dir) / h.hexdigest()
    os.replace(tmp, final)
    _bare_derivatives(final, medium=False)  # the server makes the thumbnail at ingest, the medium on first view
    return h.hexdigest()


def _bare_derivatives(path, draft=True, medium=True):
    """Medium (1280) and thumb (320) JPEGs with bare Pillow: draft decode, thumbnail, save."""
    largest = 1280 if medium else 320
    with Image.open(path) as im:
        if draft:
            im.draft("RGB", (largest, largest))
        im = im.convert("RGB")
        im.thumbnail((largest, largest))
        thumb = im.copy()
        thumb.thumbnail((320, 320))
        for pic in (im, thumb) if medium else (thumb,):
            pic.save(os.devnull, "JPEG", quality=82)


def photo_ingest(clients, per_client, workers):
    """PUT real-size phone JPEGs through gunicorn vs the bare work on the same bytes, same concurrency."""
    base = photo_set()
    uploads = [unique(base[i % len(base)], i) for i in range(clients * per_client)]
    megabytes = sum(map(len, uploads)) / 1e6

    # Baseline: a process per client (no GIL in the way), the same bytes, the unavoidable work only.
    src_dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-src-"))
    out_dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-out-"))
    jobs = []
    for i, data in enumerate(uploads):
        (src_dir / f"{i}.jpg").write_bytes(data)
        jobs.append((str(src_dir / f"{i}.jpg"), str(out_dir)))
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        pool.map(_unavoidable, jobs[:clients])  # warm the workers' imports
        t0 = time.perf_counter()
        pool.map(_unavoidable, jobs, chunksize=1)
        base_s = time.perf_counter() - t0

    server = BenchServer(workers)
    try:
        conn = server.conn()
        targets = []  # (upload URL, bytes): the cases exist and declare their photo before timing
        for data in uploads:
            body, decls = case_json([data])
            case_id = uuid.uuid4()
            status, _, _ = request(conn, "PUT", f"/api/reports/{case_id}", json.dumps(body).encode(),
                                   {**server.headers, **JSON})
            if status != 201:
                raise RuntimeError(f"case PUT answered {status}")
            targets.append((f"/api/reports/{case_id}/photos/{decls[0]['id']}", data))
        conn.close()

        def client(i):
            c, times = server.conn(), []
            for url, data in targets[i::clients]:
                status, reply, s = request(c, "PUT", url, data, {**server.headers, "Content-Type": "image/jpeg"})
                if status != 201:
                    raise RuntimeError(f"photo PUT answered {status}: {reply}")
                times.append(s)
            c.close()
            return times

        results, wall = in_threads(clients, client)
    finally:
        server.stop()
    acks = [t for r in results for t in r]
    n = len(uploads)
    return [
        ("photo ingest", f"photos/s, {clients} clients, {n} photos, {megabytes:.0f} MB", n / wall, n / base_s,
         "photos/s", 0.7),
        ("photo ingest", "MB/s", megabytes / wall, megabytes / base_s, "MB/s", None),
        ("photo ingest", "ack p50 per photo (baseline: bare work)", pct(acks, 50) * 1000,
         base_s / n * clients * 1000, "ms", None),
        ("photo ingest", "ack p95 per photo", pct(acks, 95) * 1000, None, "ms", None),
    ]



# ---------------------------------------------------------------- 2. derivatives

def derivatives(rounds=2):
    """The server's derivative code vs bare Pillow draft-mode thumbnails vs a naive full decode."""
    from server.services import imaging
    paths = []
    tmp = Path(tempfile.mkdtemp(prefix="xuncha-bench-der-"))
    for i, data in enumerate(photo_set()):
        paths.append(tmp / f"{i}.jpg")
        paths[-1].write_bytes(data)

    def rate(fn):
        fn(paths[0])  # warm-up
        t0 = time.perf_counter()
        for _ in range(rounds):
            for p in paths:
                fn(p)
        return rounds * len(paths) / (time.perf_counter() - t0)

    server = rate(lambda p: imaging.make_derivatives(p, 120_000_000, 320, 1280))
    bare = rate(_bare_derivatives)
    naive = rate(lambda p: _bare_derivatives(p, draft=False))
    return [
        ("derivatives", f"photos/s vs bare draft ({len(paths)} photos ×{rounds}, 1 core)", server, bare,
         "photos/s", 0.8),
        ("derivatives", "photos/s vs naive full-size decode", server, naive, "photos/s", 2.0),
    ]


# ---------------------------------------------------------------- 3. case sync

def _round_trips(server_conn, make_request, clients, seconds):
    """Requests/s and latencies of clients sending make_request(i, n) for the given seconds."""
    def client(i):
        c, times, n = server_conn(), [], 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            method, url, body, headers, ok = make_request(i, n)
            status, reply, s = request(c, method, url, body, headers)
            if status != ok:
                raise RuntimeError(f"{method} {url} answered {status}: {reply}")
            times.append(s)
            n += 1
        c.close()
        return times

    results, wall = in_threads(clients, client)
    times = [t for r in results for t in r]
    return len(times) / wall, times


def case_sync(clients, seconds, workers, kinds=("sqlite", "postgresql")):
    """PUT /api/reports/<uuid> round trips vs a trivial Flask JSON endpoint under the same gunicorn."""
    photo = b"\xff\xd8" + os.urandom(64)  # declared only; case sync does not upload it
    body, _ = case_json([photo])
    trivial_dir = Path(tempfile.mkdtemp(prefix="xuncha-bench-trivial-"))
    trivial = LiveServer("sqlite://", trivial_dir / "photos", workers=workers, app="scripts.bench_trivial_app:app")
    trivial.start()
    try:
        def conn():
            return http.client.HTTPConnection("127.0.0.1", trivial.port, timeout=60)

        def echo(i, n):
            return ("PUT", f"/echo/{uuid.uuid4()}", json.dumps(body).encode(), JSON, 201)
        _round_trips(conn, echo, clients, 1)  # warm every worker
        base_rps, base_times = _round_trips(conn, echo, clients, seconds)
    finally:
        trivial.stop()

    rows = []
    for kind in kinds:
        server = BenchServer(workers, kind)

        def put_case(i, n):
            fresh = {**body, "photos": [{**body["photos"][0], "id": str(uuid.uuid4())}]}
            return ("PUT", f"/api/reports/{uuid.uuid4()}", json.dumps(fresh).encode(),
                    {**server.headers, **JSON}, 201)
        try:
            real_rps, real_times = _round_trips(server.conn, put_case, clients, seconds)
        finally:
            server.stop()
        rows += [
            (f"case sync {kind}", f"PUT case round trips/s, {clients} clients, {seconds} s", real_rps, base_rps,
             "req/s", None),
            (f"case sync {kind}", "p50 round trip", pct(real_times, 50) * 1000, pct(base_times, 50) * 1000, "ms",
             None),
            (f"case sync {kind}", "p95 round trip", pct(real_times, 95) * 1000, pct(base_times, 95) * 1000, "ms",
             None),
        ]
    return rows
