"""Smoke run of scripts/load.py: a few inspectors for a few seconds against a real gunicorn."""
import os
import re
import subprocess
import sys

from .conftest import PG_BASE, TEST_DB
from .live import ROOT


def test_quick_load_run_completes_without_errors_and_prints_the_table():
    r = subprocess.run([sys.executable, "scripts/load.py", "--quick", "--duration", "10", "--users", "5",
                        "--workers", "2", "--db", TEST_DB],
                       cwd=ROOT, capture_output=True, text=True, timeout=90,
                       env={**os.environ, "XUNCHA_BENCH_PG": PG_BASE})
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"^kind\s+requests\s+errors\s+p50 ms\s+p95 ms\s+p99 ms", out, re.M), out
    for kind in ("sign-in", "put case", "put photo"):
        assert re.search(rf"^{kind}\s+[1-9]\d*\s+0\s+\d+", out, re.M), out
    assert re.search(r"^errors: 0$", out, re.M), out
    photos = int(re.search(r"photos (\d+) \(", out).group(1))
    assert photos >= 5, out
