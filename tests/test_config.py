"""Configuration: a server refuses to start with the committed or a weak SECRET_KEY."""
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from server.config import DEV_SECRET_KEY, secret_key_problem

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("key", [None, "", DEV_SECRET_KEY, "short-but-set"])
def test_weak_or_default_keys_are_named_as_a_problem(key):
    assert secret_key_problem(key)


def test_a_long_random_key_is_fine():
    assert secret_key_problem(secrets.token_urlsafe(48)) is None


def _gunicorn(env):
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("key", [None, DEV_SECRET_KEY, "e2e-secret"])
def test_gunicorn_refuses_to_start_without_a_real_secret_key(key, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/x.db", PHOTO_STORE=str(tmp_path / "photos"))
    if key is not None:
        env["SECRET_KEY"] = key
    done = _gunicorn(env)
    assert done.returncode != 0
    assert "refusing to start" in done.stderr and "SECRET_KEY" in done.stderr


def test_gunicorn_serves_with_a_real_secret_key(live_server):
    # The positive control: the same command and config with a strong key answers requests.
    with urllib.request.urlopen(f"{live_server.base}/", timeout=20) as r:
        assert r.status == 200
