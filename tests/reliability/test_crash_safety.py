"""gunicorn SIGKILLed in the middle of photo uploads, again and again.

After each restart no partial photo may be visible, no row may point at missing or wrong bytes,
and temp files may exist only where nothing is served; in the end the twin completes every case.
"""
import hashlib
import http.client
import json
import os
import random
import signal
import socket
import threading
import time
from pathlib import Path

from server.services.photo_store import get_store

from . import (FULL, audit, issue_tokens, noise_jpeg, planned_case, random_photo, wait_until,
               write_figures)
from .twin import Twin

KILLS = 50 if FULL else 6
CASES_PER_ROUND = 2
MODES = ("workers", "server")  # SIGKILL the workers (the master respawns them), or everything
SEED = int(os.environ.get("XUNCHA_RELIABILITY_SEED", "20261128"))
STALE_S = 2 * 3600  # older than the store's one-hour sweep threshold


def worker_pids(master):
    """The gunicorn master's children, read from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we looked
        if ppid == master:
            pids.append(int(stat.parent.name))
    return pids


def get(server, token, path):
    """(status, body bytes) straight from the server; waits through a worker restart."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_ready(server, token):
    """Wait until a (new) worker answers; connections queue in the master's backlog meanwhile."""
    deadline = time.monotonic() + 30
    while True:
        try:
            status, _ = get(server, token, "/api/catalog")
            assert status == 200
            return
        except (OSError, http.client.HTTPException):
            # Refused or reset while the new server binds its port: seen even after start()'s
            # probe connected, so only an HTTP answer counts.
            assert time.monotonic() < deadline, "server did not come back"
            time.sleep(0.05)


def gone(pid):
    """True once a process has died (a zombie holds no sockets any more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def restart(server):
    """SIGKILL the whole server and start it again on the same port."""
    old = worker_pids(server.proc.pid)
    server.stop()
    # stop() waits for the master only: a worker still dying holds the listening socket, and
    # start() would take it for the new server.
    wait_until(lambda: all(gone(pid) for pid in old), 10, "the old workers to die")
    server.start()


def kill(server, mode):
    """SIGKILL the workers (the master respawns them) or the whole server."""
    if mode == "server":
        return restart(server)
    old = worker_pids(server.proc.pid)
    assert old, "no gunicorn workers found"
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: len(set(worker_pids(server.proc.pid)) - set(old)) >= 2, 30,
               "gunicorn to respawn its workers")


def start_partial_upload(server, token, case_id, decl, data, rng):
    """Send the headers and part of a photo body, and leave the connection open."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (f"PUT /api/reports/{case_id}/photos/{decl['id']}?role=before HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    sock.sendall(head + data[:int(len(data) * rng.uniform(0.2, 0.9))])
    return sock


def check_after_restart(server, app, token, intended, victim, rng):
    """What must hold after any crash, mid-sync: returns how many originals were fetched."""
    found, _ = audit(app, intended)
    assert found["rows_without_blob"] == [] and found["bad_blobs"] == []
    assert found["bad_derived"] == []
    # The victim's partial bytes are nowhere to be seen: missing in the manifest, 404 as a photo.
    victim_id, decl = victim
    status, body = get(server, token, f"/api/reports/{victim_id}")
    case = json.loads(body)
    assert status == 200 and case["missing_photos"] == [decl["id"]]
    assert [(p["received"], p["urls"]) for p in case["photos"]] == [(False, None)]
    assert get(server, token, f"/api/photos/{decl['sha256']}/original")[0] == 404
    # Every photo a manifest calls received is served whole; a few originals are fetched each time.
    received = []
    for case_id in intended:
        status, body = get(server, token, f"/api/reports/{case_id}")
        if status == 404:
            continue  # not sent yet
        case = json.loads(body)
        assert status == 200 and {p["id"] for p in case["photos"]} == set(intended[case_id])
        for p in case["photos"]:
            assert p["received"] == (p["id"] not in case["missing_photos"])
            if p["received"]:
                assert p["sha256"] == intended[case_id][p["id"]]
                received.append(p["sha256"])
    for sha in rng.sample(received, min(3, len(received))):
        status, data = get(server, token, f"/api/photos/{sha}/original")
        assert status == 200 and hashlib.sha256(data).hexdigest() == sha
    return min(3, len(received))


class CrashRun:
    """One phone syncing to a server that is SIGKILLed once per round."""

    def __init__(self, server, app, rng):
        self.server, self.app, self.rng = server, app, rng
        self.token = issue_tokens(app, "inspector", 1, "crash")[0]
        self.twin = Twin("127.0.0.1", server.port, self.token, timeout=30)
        self.tmp = Path(app.config["PHOTO_STORE"]) / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)  # the server makes it at its first upload
        self.intended = {}
        self.kills = {m: 0 for m in MODES}
        self.left_by_kills = self.fetched = 0

    def enqueue_cases(self):
        """New cases for the twin, so that its own uploads are in flight when the kill comes."""
        for _ in range(CASES_PER_ROUND):
            case_id, body, photos = planned_case(
                [random_photo(self.rng) if self.rng.random() < 0.6
                 else noise_jpeg(self.rng, (1000, 750)) for _ in range(self.rng.randint(1, 4))])
            self.twin.enqueue_case(case_id, body, photos)
            self.intended[case_id] = {d["id"]: d["sha256"] for d, _ in photos}

    def round(self, mode):
        """Cut a large upload (and whatever the twin is sending) with SIGKILL, then check."""
        rng, tmp = self.rng, self.tmp
        victim_id, victim_body, photos = planned_case([noise_jpeg(rng, (1600, 1200))])
        (decl, data), = photos
        self.twin.request("PUT", f"/api/reports/{victim_id}",
                          json_body={**victim_body, "photos": [decl]})
        before = set(tmp.iterdir())
        victim_sock = start_partial_upload(self.server, self.token, victim_id, decl, data, rng)
        wait_until(lambda: set(tmp.iterdir()) - before, 10, "the server to stream the victim")
        victim_part, = set(tmp.iterdir()) - before
        self.enqueue_cases()
        syncing = threading.Thread(target=self.twin.sync_all)
        syncing.start()
        time.sleep(rng.uniform(0, 0.3))  # a random point in the twin's uploads, not a wait
        kill(self.server, mode)
        self.twin.offline.set()
        victim_sock.close()
        syncing.join()
        self.kills[mode] += 1
        wait_ready(self.server, self.token)
        # SIGKILL gives the server no chance to clean up: the temp file stays, unserved.
        assert victim_part.exists() and victim_part.suffix == ".part"
        self.left_by_kills += len(set(tmp.iterdir()) - before)
        self.fetched += check_after_restart(
            self.server, self.app, self.token,
            {**self.intended, victim_id: {decl["id"]: decl["sha256"]}}, (victim_id, decl), rng)
        self.twin.offline.clear()
        self.twin.enqueue_case(victim_id, victim_body, photos)
        self.intended[victim_id] = {decl["id"]: decl["sha256"]}


def test_uploads_survive_sigkill(live_server, server_app):
    started = time.monotonic()
    run = CrashRun(live_server, server_app, random.Random(SEED))
    for round_no in range(KILLS):
        run.round(MODES[round_no % 2])

    run.twin.run_until_empty(time.monotonic() + 300)
    assert [(i.id, i.state, i.error) for i in run.twin.unsent_items()] == []
    found, figures = audit(server_app, run.intended)
    stale = found.pop("temp_files")
    assert found == {k: [] for k in found}
    assert figures["cases_stored"] == len(run.intended)
    assert figures["photos_checked"] == figures["photos_intended"]
    assert len(stale) >= KILLS  # at least each victim's

    # The sweep: after a restart, temp files older than an hour go at the first use of the store.
    for name in stale:
        os.utime(run.tmp / name, (time.time() - STALE_S,) * 2)
    (run.tmp / "in-progress.part").write_bytes(b"an upload another worker is still receiving")
    restart(live_server)
    wait_ready(live_server, run.token)  # the catalog does not touch the photo store
    sha = next(iter(next(iter(run.intended.values())).values()))
    assert get(live_server, run.token, f"/api/photos/{sha}/original")[0] == 200
    assert [p.name for p in run.tmp.iterdir()] == ["in-progress.part"]
    (run.tmp / "in-progress.part").unlink()
    write_figures("crash", {
        **figures, "seconds": round(time.monotonic() - started, 1),
        "kills": sum(run.kills.values()), "kills_by_mode": run.kills,
        "temp_files_seen_after_kills": run.left_by_kills, "temp_files_swept": len(stale),
        "originals_fetched_after_restarts": run.fetched,
        "client_attempts": sum(i.attempts for i in run.twin.outbox.values())})


def test_store_sweeps_stale_temp_files_on_first_use(app):
    """Only temp files older than an hour go: a live upload's file is fresh."""
    tmp = Path(app.config["PHOTO_STORE"]) / "tmp"
    tmp.mkdir(parents=True)
    (tmp / "crashed.part").write_bytes(b"x")
    os.utime(tmp / "crashed.part", (time.time() - STALE_S,) * 2)
    (tmp / "receiving.part").write_bytes(b"y")
    get_store(app)
    assert [p.name for p in tmp.iterdir()] == ["receiving.part"]
