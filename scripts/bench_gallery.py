"""Gallery, inbox and evaluation latency at scale, on SQLite and PostgreSQL.

Fills a fresh database with N cases (default 100,000), three photos each and their events by bulk
insert, then times the office's gallery pages, a liaison's inbox, an inspector's cases, Open311 and
the evaluation for a year through the real app (Flask test client: routing, auth, schemas, SQL).

    .venv/bin/python scripts/bench_gallery.py [--cases 100000] [--runs 30] [--db sqlite,postgresql]
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select, text  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Case, Category, Event, Photo, User  # noqa: E402
from server.services import auth, catalog_loader  # noqa: E402
from bench_db import drop_database, fresh_database  # noqa: E402

STATUSES = ["submitted"] * 10 + ["dispatched"] * 20 + ["accepted"] * 15 + ["resolved"] * 15 + \
    ["closed"] * 38 + ["rejected"] * 2


def fill(n, rng):
    """Bulk-insert n cases with photos and events; returns the users' auth headers."""
    cats = db.session.execute(select(Category)).scalars().all()
    people = {}
    for name, role, unit in [("office", "office", None), ("zfj", "liaison", "zfj"), ("inspector", "inspector", None)]:
        user = auth.create_user(f"bench-{name}", role, "bench-password", unit)
        raw, _ = auth.issue_token(user)
        people[name] = (user, {"Authorization": f"Bearer {raw}"})
    inspectors = [people["inspector"][0].id] + [
        auth.create_user(f"bench-i{i}", "inspector", "bench-password").id for i in range(9)]
    db.session.commit()
    key = auth.create_api_key("bench")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cases, photos, events = [], [], []
    for pk in range(1, n + 1):
        cat = cats[rng.randrange(len(cats))]
        received = start + timedelta(seconds=rng.randrange(330 * 86400))
        status = rng.choice(STATUSES)
        due = received + timedelta(days=3) if status not in ("submitted", "rejected") else None
        cases.append(dict(pk=pk, id=uuid.uuid4(), number=f"2026-{pk:06d}", source="inspector",
                          covert=rng.random() < 0.05, category_id=cat.id, action_id=cat.action_id,
                          description="背街小巷堆放杂物", lat=24.36 + rng.random() / 50, lon=109.48 + rng.random() / 50,
                          accuracy_m=12.0, location_source="device", captured_at=received, received_at=received,
                          updated_at=received, status=status, lead_unit_id=cat.lead_unit_id, due_at=due,
                          routing_rule=f"category:{cat.code}", routing_reason="bench", flags=[], body_hash="0" * 64,
                          reporter_id=rng.choice(inspectors), rework_count=int(rng.random() < 0.1),
                          extension_count=int(rng.random() < 0.05), dispatched_at=None, resolved_at=None))
        roles = ["before", "before"] + (["after"] if status in ("resolved", "closed") else ["before"])
        for pos, role in enumerate(roles):
            sha = "%064x" % rng.getrandbits(256)
            photos.append(dict(id=uuid.uuid4(), case_pk=pk, role=role, position=pos, declared_sha256=sha,
                               declared_size=3_000_000, declared_content_type="image/jpeg", received_at=received,
                               sha256=sha, size=3_000_000, content_type="image/jpeg", width=4000, height=3000,
                               exif={}))
        events.append(dict(case_pk=pk, kind="create", actor_role="inspector", from_status=None,
                           to_status="submitted", at=received))
        if due:
            events.append(dict(case_pk=pk, kind="dispatch", actor_role="system", from_status="submitted",
                               to_status="dispatched", at=received))
        if due:  # the lifecycle keeps the first dispatch and the last resolve on the case
            cases[-1]["dispatched_at"] = received
        if status in ("resolved", "closed"):
            resolved = cases[-1]["resolved_at"] = received + timedelta(hours=rng.randrange(1, 120))
            events.append(dict(case_pk=pk, kind="resolve", actor_role="liaison", from_status="accepted",
                               to_status="resolved", at=resolved))
            if status == "closed":
                events.append(dict(case_pk=pk, kind="verify", actor_role="office", from_status="resolved",
                                   to_status="closed", at=resolved + timedelta(hours=5)))
    for table, rows in ((Case.__table__, cases), (Photo.__table__, photos), (Event.__table__, events)):
        for i in range(0, len(rows), 10_000):
            db.session.execute(table.insert(), rows[i:i + 10_000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'pk'), :n)"), {"n": n})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {name: headers for name, (_, headers) in people.items()}, key


def timed(client, url, headers, runs):
    """p50 and p95 in ms of GET url (after one warm-up), and the status code."""
    r = client.get(url, headers=headers)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples) + (r.status_code,)


def timed_sql(statements, runs):
    """p50 and p95 in ms of the bare SQL that fetches what a page shows: the database's own cost."""
    samples = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        for sql, params in statements:
            db.session.execute(text(sql), params).all()
        if i:  # the first run warms the cache, as for the endpoint
            samples.append((time.perf_counter() - t0) * 1000)
    db.session.rollback()
    return percentiles(samples)


def percentiles(samples):
    """(p50, p95) of samples, nearest rank."""
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, round(len(samples) * 0.95) - 1)]


def baseline_sql(n, ids):
    """For each check, the SELECTs that fetch its rows (cases, then their photos) and nothing more."""
    photos = "SELECT * FROM photos WHERE case_pk IN (SELECT pk FROM cases {where} ORDER BY {order} LIMIT {limit})"
    cases = "SELECT * FROM cases {where} ORDER BY {order} LIMIT {limit}"

    def page(where, order, limit, **params):
        return [(q.format(where=where, order=order, limit=limit), params) for q in (cases, photos)]
    inbox = "WHERE lead_unit_id = :unit AND status IN ('dispatched', 'accepted')"
    return {
        "gallery page 1 (48)": page("", "pk DESC", 48),
        "gallery, unit + status filter": page("WHERE lead_unit_id = :unit AND status = 'closed'", "pk DESC", 48,
                                              unit=ids["zfj"]),
        "gallery, deep cursor page": page("WHERE pk < :cursor", "pk DESC", 48, cursor=n // 2),
        "liaison inbox (200, by due)": page(inbox, "due_at, pk", 200, unit=ids["zfj"]),
        "inspector: my cases (50)": page("WHERE reporter_id = :me", "pk DESC", 50, me=ids["inspector"]),
        "Open311 requests.json (≤1000)": page("WHERE covert = :no", "pk DESC", 1000, no=False),
        "evaluation for a year": [("SELECT lead_unit_id, action_id, status, count(*), sum(rework_count), "
                                   "sum(extension_count) FROM cases WHERE received_at >= :a AND received_at < :b "
                                   "GROUP BY lead_unit_id, action_id, status",
                                   {"a": datetime(2026, 1, 1), "b": datetime(2027, 1, 1)})],
    }


def explain(kind):
    sql = ("SELECT cases.pk FROM cases WHERE cases.lead_unit_id = 16 AND cases.status IN ('dispatched','accepted') "
           "ORDER BY cases.due_at LIMIT 200")
    prefix = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN "
    return [" ".join(str(c) for c in row) for row in db.session.execute(text(prefix + sql))]


def bench(kind, n, runs):
    tmp = tempfile.mkdtemp()
    url, schema = fresh_database(kind, tmp)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": f"{tmp}/photos", "TESTING": True})
    rows = []
    try:
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            catalog_loader.load_plan()
            t0 = time.perf_counter()
            headers, key = fill(n, random.Random(7))
            fill_s = time.perf_counter() - t0
            client = app.test_client()
            mid = db.session.execute(select(Case.id).where(Case.pk == n // 2)).scalar()
            deep = client.get(f"/api/reports/{mid}", headers=headers["office"]).status_code  # noqa: F841
            import base64
            cursor = base64.urlsafe_b64encode(str(n // 2).encode()).decode().rstrip("=")
            checks = [
                ("gallery page 1 (48)", "/api/reports?limit=48", "office", 50),
                ("gallery, unit + status filter", "/api/reports?limit=48&unit=zfj&status=closed", "office", 50),
                ("gallery, deep cursor page", f"/api/reports?limit=48&cursor={cursor}", "office", 50),
                ("liaison inbox (200, by due)", "/api/reports?status=dispatched,accepted&order=due&limit=200", "zfj", 30),
                ("inspector: my cases (50)", "/api/reports?limit=50", "inspector", 50),
                ("Open311 requests.json (≤1000)", f"/open311/v2/requests.json?api_key={key}", None, 50),
                ("evaluation for a year", "/api/evaluation?from=2026-01-01&to=2026-12-31", "office", 1000),
            ]
            ids = {"zfj": db.session.scalar(select(User.unit_id).where(User.username == "bench-zfj")),
                   "inspector": db.session.scalar(select(User.id).where(User.username == "bench-inspector"))}
            baselines = baseline_sql(n, ids)
            for label, url_, who, goal in checks:
                p50, p95, status = timed(client, url_, headers.get(who, {}), runs)
                b50, b95 = timed_sql(baselines[label], runs)
                rows.append((kind, label, p50, p95, goal, status, b50, b95))
            plan = explain(kind)
        return fill_s, rows, plan
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(schema)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--db", default="sqlite,postgresql")
    args = ap.parse_args()
    print(f"{args.cases:,} cases, {args.runs} runs per figure, {os.cpu_count()} cores, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"{'db':<11}{'query':<34}{'p50 ms':>9}{'p95 ms':>9}{'goal ms':>9}  met")
    failed = False
    for kind in args.db.split(","):
        fill_s, rows, plan = bench(kind, args.cases, args.runs)
        for db_, label, p50, p95, goal, status, _, _ in rows:
            failed |= status != 200
            print(f"{db_:<11}{label:<34}{p50:>9.1f}{p95:>9.1f}{goal:>9}  {'yes' if p95 < goal else 'NO'}"
                  + ("" if status == 200 else f"  (HTTP {status})"))
        print(f"{kind:<11}fill: {fill_s:.1f} s; inbox plan: {' | '.join(plan)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
