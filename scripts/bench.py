"""The performance benchmark (issue 6): every figure beside a baseline measured in the same run.

    .venv/bin/python scripts/bench.py            # everything, ~5 minutes on 2 cores
    .venv/bin/python scripts/bench.py --quick    # smaller sizes, a smoke run
    .venv/bin/python scripts/bench.py --only ingest,queries

Sections: photo ingest through gunicorn vs the bare unavoidable work; derivatives vs bare Pillow and
a naive decode; case sync vs a trivial Flask endpoint; queries at scale (100,000 cases) on SQLite and
PostgreSQL vs their bare SQL; the PWA's weight and Lighthouse scores. Goals are reported, not
asserted: the exit status is non-zero only when a measurement itself fails. The table is also
written to test-artifacts/bench.json.
"""
import argparse
import json
import os
import platform
import secrets
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))  # gunicorn refuses a weak one

import bench_gallery  # noqa: E402
import bench_ingest  # noqa: E402
import bench_pwa  # noqa: E402

SECTIONS = ("ingest", "derivatives", "sync", "queries", "pwa")


def ratio_rows(rows):
    """(section, figure, value, baseline, unit, goal ratio) → table rows with the goal judged."""
    out = []
    for section, figure, value, base, unit, goal in rows:
        met = None if goal is None or not base else value / base >= goal
        out.append((section, figure, value, base, unit, f"≥ {goal}× baseline" if goal else "", met))
    return out


def query_rows(kinds, cases, runs):
    """Endpoint p95 vs the bare SQL's p95 for each query, per database."""
    out = []
    for kind in kinds:
        fill_s, rows, plan = bench_gallery.bench(kind, cases, runs)
        for db_, label, p50, p95, goal, status, b50, b95 in rows:
            if status != 200:
                raise RuntimeError(f"{db_} {label}: HTTP {status}")
            out.append((f"queries {db_}", f"{label} p50", p50, b50, "ms", "", None))
            out.append((f"queries {db_}", f"{label} p95", p95, b95, "ms", f"< {goal} ms", p95 < goal))
        out.append((f"queries {kind}", f"fill {cases:,} cases (bulk insert)", fill_s, None, "s", "", None))
        out.append((f"queries {kind}", "inbox plan: " + " | ".join(plan)[:150], None, None, "", "", None))
    return out


def run(args):
    """Each requested section's rows, in order; a failing section is reported and remembered."""
    quick = args.quick
    plan = {
        "ingest": lambda: ratio_rows(bench_ingest.photo_ingest(args.clients, 2 if quick else 6, args.workers)),
        "derivatives": lambda: ratio_rows(bench_ingest.derivatives(1 if quick else 2)),
        "sync": lambda: ratio_rows(bench_ingest.case_sync(args.clients, 3 if quick else 8, args.workers)),
        "queries": lambda: query_rows(args.db.split(","), 5_000 if quick else args.cases, 5 if quick else args.runs),
        "pwa": lambda: bench_pwa.pwa_weight(with_lighthouse=not args.no_lighthouse),
    }
    rows, failures = [], []
    for name in args.only.split(","):
        t0 = time.perf_counter()
        print(f"== {name} …", file=sys.stderr, flush=True)
        try:
            rows += plan[name]()
        except Exception:  # noqa: BLE001 — every other section still runs; the exit status says it failed
            failures.append(name)
            traceback.print_exc()
        print(f"== {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows, failures


def fmt(x):
    if x is None:
        return ""
    return f"{x:,.1f}" if abs(x) < 10_000 else f"{x:,.0f}"


def print_table(rows, header):
    print(header)
    print(f"{'section':<22}{'figure':<58}{'value':>10}{'baseline':>10}{'ratio':>7}  {'unit':<9}{'goal':<18}met")
    for section, figure, value, base, unit, goal, met in rows:
        ratio = f"{value / base:.2f}" if value is not None and base else ""
        verdict = {True: "yes", False: "NO", None: ""}[met]
        print(f"{section:<22}{figure:<58}{fmt(value):>10}{fmt(base):>10}{ratio:>7}  {unit:<9}{goal:<18}{verdict}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run in about a minute")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers")
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--no-lighthouse", action="store_true")
    args = ap.parse_args()
    started = datetime.now(timezone.utc)
    rows, failures = run(args)
    header = (f"Xuncha benchmark, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {platform.machine()}"
              + (" (quick)" if args.quick else ""))
    print_table(rows, header)
    out = HERE.parent / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps({"header": header, "rows": rows, "failed": failures},
                                               ensure_ascii=False, indent=1))
    if failures:
        print(f"FAILED sections: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
