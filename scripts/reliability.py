#!/usr/bin/env python3
"""The reliability suite in full mode, on SQLite then PostgreSQL, and the figures it produced.

    .venv/bin/python scripts/reliability.py            # both databases
    .venv/bin/python scripts/reliability.py sqlite     # one

Runs tests/reliability/test_fault_injection.py and test_crash_safety.py with
XUNCHA_RELIABILITY_FULL=1 (200 cases through ≥ 1,000 injected faults; ≥ 50 SIGKILLs), then prints
what they wrote to test-artifacts/reliability-*.json.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
TESTS = ["tests/reliability/test_fault_injection.py", "tests/reliability/test_crash_safety.py"]
DATABASES = ("sqlite", "postgresql")


def run(db):
    """Run both tests in full mode on one database; returns pytest's exit status."""
    for old in ARTIFACTS.glob(f"reliability-*-{db}.json"):
        old.unlink()  # never print figures from an earlier run
    env = {**os.environ, "XUNCHA_TEST_DB": db, "XUNCHA_RELIABILITY_FULL": "1"}
    started = time.monotonic()
    status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              *TESTS], cwd=ROOT, env=env)
    print(f"== {db}: pytest exit {status} in {time.monotonic() - started:.0f} s")
    return status


def figures(name, db):
    path = ARTIFACTS / f"reliability-{name}-{db}.json"
    return json.loads(path.read_text()) if path.exists() else None


def report(db):
    """Print one database's figures."""
    faults, crash = figures("faults", db), figures("crash", db)
    print(f"\n## {db}")
    if faults:
        print(f"fault injection ({faults['mode']}, {faults['seconds']} s, {faults['phones']} "
              f"phones): {faults['faults']} faults in {faults['requests']} requests")
        for kind, n in faults["faults_by_kind"].items():
            print(f"  {kind:20} {n:6}")
        print(f"  (reorders overtaken  {faults['reorders_overtaken']:6})")
        print(f"  cases intended {faults['cases_intended']}, stored {faults['cases_stored']}, "
              f"lost {faults['cases_lost']}, doubled {faults['cases_doubled']}, "
              f"extra {faults['cases_extra']}; photos checked {faults['photos_checked']}"
              f"/{faults['photos_intended']}; server errors {faults['server_errors']}")
    else:
        print("fault injection: no figures (the test did not get that far)")
    if crash:
        modes = ", ".join(f"{m} {n}" for m, n in crash["kills_by_mode"].items())
        print(f"crash safety ({crash['mode']}, {crash['seconds']} s): "
              f"{crash['kills']} SIGKILLs ({modes})")
        print(f"  cases intended {crash['cases_intended']}, stored {crash['cases_stored']}, "
              f"lost {crash['cases_lost']}, doubled {crash['cases_doubled']}; photos checked "
              f"{crash['photos_checked']}/{crash['photos_intended']}; temp files left by kills "
              f"{crash['temp_files_seen_after_kills']}, swept at restart "
              f"{crash['temp_files_swept']}")
    else:
        print("crash safety: no figures (the test did not get that far)")


def main(argv):
    dbs = argv or DATABASES
    if "postgresql" in dbs:
        subprocess.check_call(["bash", "scripts/ensure_postgres.sh"], cwd=ROOT)
    status = 0
    for db in dbs:
        status = run(db) or status
    for db in dbs:
        report(db)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
