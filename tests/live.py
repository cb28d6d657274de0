"""A real gunicorn serving the app on a free loopback port, for tests that need real sockets."""
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn serving the app from a fresh database; can be killed and started again."""

    def __init__(self, url, photo_dir, env_extra=None, workers=2, app="wsgi:app"):
        self.port = _free_port()
        self.workers, self.app = workers, app
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": url, "PHOTO_STORE": str(photo_dir),
                    "SECRET_KEY": secrets.token_urlsafe(48), **(env_extra or {})}
        self.proc = None
        self.log = open(photo_dir.parent / "server.log", "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-", self.app],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True)
        # Up means a worker answered a request: the master listens before its workers have booted.
        deadline = time.time() + 30
        while time.time() < deadline and self.proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        raise RuntimeError(f"server did not start (exit status {self.proc.poll()})")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # an abrupt death, like a crashed host
            self.proc.wait()
