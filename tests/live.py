"""A real gunicorn serving the app on a free loopback port, for tests that need real sockets."""
import os
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

    def __init__(self, url, photo_dir, env_extra=None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": url, "PHOTO_STORE": str(photo_dir),
                    "SECRET_KEY": "e2e-secret", **(env_extra or {})}
        self.proc = None
        self.log = open(photo_dir.parent / "server.log", "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--workers", "2",
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # an abrupt death, like a crashed host
            self.proc.wait()
