"""Backup and restore: round trips (same and other database), a backup taken under writes, refusals, corruption, CLI."""
import hashlib
import json
import threading
import time
import uuid

import pytest
from sqlalchemy import JSON, create_engine, select, text

from server import create_app
from server.extensions import db
from server.services import auth, backup
from server.services.photo_store import get_store

from ..conftest import PG_BASE
from ..helpers import case_body, declare, generated_jpeg, put_case_with_photos, sample


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


@pytest.fixture
def empty_instance(database, tmp_path):
    """empty_instance(name, kind=None) → an app on a database without tables and an empty photo store."""
    made = []
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")

    def make(name, kind=None):
        schema = None
        if (kind or database["kind"]) == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
        else:
            schema = f"xr_{uuid.uuid4().hex[:12]}"
            with admin.connect() as con:
                con.execute(text(f"CREATE SCHEMA {schema}"))
            url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": str(tmp_path / f"{name}-photos"),
                          "TESTING": True, "SERVER_NAME": "xuncha.test"})
        made.append((app, schema))
        return app
    yield make
    for app, schema in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            with admin.connect() as con:
                con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def act(client, headers, case_id, action, **fields):
    r = client.post(f"/api/reports/{case_id}/transitions", json={"id": str(uuid.uuid4()), "action": action, **fields},
                    headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def fill(app, client, make_user, runner):
    """Users, cases with real photos, events of a lifecycle, a duplicate, catalog and calendar edits."""
    _, inspector = make_user("inspector")
    _, lead = make_user("liaison", unit="zfj")
    _, office = make_user("office")
    gps = sample("gps/DSCN0010.jpg")
    red, blue = generated_jpeg(), generated_jpeg(color=(20, 40, 200))
    older, _, _ = put_case_with_photos(client, inspector, [gps, red])
    newer, _, _ = put_case_with_photos(client, inspector, [red])  # the same bytes: one blob, two rows
    worked, _, _ = put_case_with_photos(client, inspector, [blue], description="工地裸土未覆盖")
    act(client, lead, worked, "accept")
    after = str(uuid.uuid4())
    data = generated_jpeg(color=(10, 200, 10))
    r = client.put(f"/api/reports/{worked}/photos/{after}?role=after", data=data,
                   headers={**lead, "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.json
    act(client, lead, worked, "resolve", note="已覆盖", photos=[after])
    # An older case rejected as a duplicate of a newer one: a row pointing forward in its own table.
    act(client, lead, older, "request_transfer", note="不属本单位")
    act(client, office, older, "reject", note="重复", duplicate_of=newer)
    # A granted extension leaves a JSON null (not an SQL NULL) in extension_request: both must survive.
    act(client, lead, newer, "extend", note="需协调", due_at="2030-01-10T10:00:00+08:00")
    act(client, office, newer, "grant_extension", due_at="2030-01-10T10:00:00+08:00")
    # A declared photo never uploaded: a row without a blob.
    r = client.put(f"/api/reports/{uuid.uuid4()}", json=case_body(photos=[declare(generated_jpeg(color=(1, 2, 3)))]),
                   headers=inspector)
    assert r.status_code == 201, r.json
    r = client.patch("/api/catalog/categories/a1-posting", json={"deadline_value": 7, "deadline_kind": "hours"},
                     headers=office)
    assert r.status_code == 200, r.json
    assert runner.invoke(args=["calendar", "set", "2027-01-04", "--holiday", "--note", "补休"]).exit_code == 0
    with app.app_context():
        auth.create_api_key("city-hotline")
    return inspector


def dump_all(app):
    """Every row of every table, with each JSON column's SQL-NULL flag, as Python values."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            nulls = [c.is_(None) for c in table.columns if isinstance(c.type, JSON)]
            out[table.name] = db.session.execute(
                select(table, *nulls).order_by(*table.primary_key.columns)).all()
        db.session.remove()
        return out


def restored_blobs_ok(app):
    """Every received photo's blob in the store hashes to its sha256, and the store holds nothing else."""
    with app.app_context():
        store = get_store(app)
        shas = set(db.session.execute(text("SELECT sha256 FROM photos WHERE sha256 IS NOT NULL")).scalars())
        files = {p.name for p in (store.root / "blobs").rglob("*") if p.is_file()}
        for sha in shas:
            assert hashlib.sha256(store.blob_path(sha).read_bytes()).hexdigest() == sha
        db.session.remove()
        return shas == files and len(shas) > 0


def test_round_trip_restores_every_row_and_photo(app, client, make_user, runner, empty_instance, tmp_path):
    inspector = fill(app, client, make_user, runner)
    with app.app_context():
        meta = backup.backup(tmp_path / "bk")
    assert meta["tables"]["cases"] == 4 and meta["blobs"]["count"] == 4  # gps, red (twice), blue, after
    target = empty_instance("target")
    with target.app_context():
        summary = backup.restore(tmp_path / "bk")
    assert summary["tables"] == meta["tables"]
    assert dump_all(target) == dump_all(app)
    assert restored_blobs_ok(target)
    # Tokens came along; derivatives are rebuilt from the originals; new ids follow the restored ones.
    c = target.test_client()
    sha = hashlib.sha256(sample("gps/DSCN0010.jpg")).hexdigest()
    r = c.get(f"/api/photos/{sha}/thumb", headers=inspector)
    assert r.status_code == 200 and r.data[:3] == b"\xff\xd8\xff"
    case_id, case, _ = put_case_with_photos(c, inspector, [generated_jpeg(color=(5, 5, 5))])
    assert case["number"].endswith("000005")


def test_round_trip_through_the_other_database(app, client, make_user, runner, empty_instance, tmp_path, database):
    """A backup restores into the other kind of database, and back again, unchanged."""
    fill(app, client, make_user, runner)
    other = "postgresql" if database["kind"] == "sqlite" else "sqlite"
    with app.app_context():
        backup.backup(tmp_path / "one")
    middle = empty_instance("middle", other)
    with middle.app_context():
        backup.restore(tmp_path / "one")
        assert db.engine.dialect.name == other
        backup.backup(tmp_path / "two")
    final = empty_instance("final")
    with final.app_context():
        backup.restore(tmp_path / "two")
    assert dump_all(middle) == dump_all(app)
    assert dump_all(final) == dump_all(app)
    assert restored_blobs_ok(final)


def read_rows(path, table):
    return [json.loads(line) for line in (path / "db" / f"{table}.jsonl").read_text().splitlines()]


def test_backup_taken_while_cases_arrive_is_one_consistent_instant(app, make_user, empty_instance, tmp_path,
                                                                 monkeypatch):
    _, inspector = make_user("inspector")
    committed, errors, stop = [], [], threading.Event()

    def writer():
        c = app.test_client()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                photos = [generated_jpeg(size=(64 + n, 48), color=(n % 256, k * 60, 9)) for k in range(2)]
                committed.append(put_case_with_photos(c, inspector, photos)[0])
            except BaseException as err:  # noqa: BLE001 (reported below)
                errors.append(err)
                return

    real_dump = backup._dump_table

    def dump_then_wait(conn, table, out, blobs):
        rows = real_dump(conn, table, out, blobs)
        if table.name == "cases":
            # Two whole cases (row, photos, blobs, events) commit between reading cases and their photos.
            want, deadline = len(committed) + 2, time.time() + 30
            while len(committed) < want and time.time() < deadline and not errors:
                time.sleep(0.01)
        return rows
    monkeypatch.setattr(backup, "_dump_table", dump_then_wait)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(committed) < 3 and not errors:
            time.sleep(0.01)
        with app.app_context():
            meta = backup.backup(tmp_path / "bk")
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    bk = tmp_path / "bk"
    cases = {r["pk"]: r["id"] for r in read_rows(bk, "cases")}
    photos = read_rows(bk, "photos")
    assert len(committed) - len(cases) >= 2  # cases that arrived during the backup are not in it ...
    assert set(committed[:3]) <= set(cases.values())  # ... those before it are, whole:
    assert {p["case_pk"] for p in photos} == set(cases)
    assert all(sum(p["case_pk"] == pk for p in photos) == 2 for pk in cases)
    assert {e["case_pk"] for e in read_rows(bk, "events") if e["kind"] == "create"} == set(cases)
    # A photo declared but still uploading at the snapshot is a row without bytes, never bytes without a row.
    received = [p for p in photos if p["received_at"] is not None]
    assert all(p["sha256"] is not None for p in received) and len(received) >= 2 * 3
    manifest = {json.loads(line)["sha256"] for line in (bk / "manifest.jsonl").read_text().splitlines()}
    assert manifest == {p["sha256"] for p in received}
    target = empty_instance("target")
    with target.app_context():
        assert backup.restore(bk)["tables"]["photos"] == meta["tables"]["photos"]
    assert restored_blobs_ok(target)


def make_target_user(target):
    with target.app_context():
        user = auth.create_user(f"late-{uuid.uuid4().hex[:6]}", "inspector", "correct horse battery")
        raw, _ = auth.issue_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}


def test_restore_refuses_a_non_empty_target_unless_forced(app, client, make_user, runner, empty_instance, tmp_path):
    fill(app, client, make_user, runner)
    with app.app_context():
        backup.backup(tmp_path / "bk")
    before = dump_all(app)
    r = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code == 1 and "not empty" in r.output
    assert dump_all(app) == before
    target = empty_instance("target")
    with target.app_context():
        backup.restore(tmp_path / "bk")
    put_case_with_photos(target.test_client(), make_target_user(target), [generated_jpeg(color=(9, 9, 9))])
    assert len(dump_all(target)["cases"]) == 5
    r = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk"), "--force"])
    assert r.exit_code == 0, r.output
    assert dump_all(target) == before
    assert restored_blobs_ok(target)


def test_corrupt_blob_fails_restore_loudly_and_leaves_the_target_empty(app, client, make_user, runner,
                                                                      empty_instance, tmp_path):
    fill(app, client, make_user, runner)
    with app.app_context():
        backup.backup(tmp_path / "bk")
    entry = json.loads((tmp_path / "bk" / "manifest.jsonl").read_text().splitlines()[-1])
    blob = tmp_path / "bk" / entry["path"]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    target = empty_instance("target")
    r = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code == 1
    assert "blob corrupt" in r.output and entry["path"] in r.output
    with target.app_context():
        assert backup.is_empty()
    # A damaged row file is caught by its checksum before anything is touched.
    rows = tmp_path / "bk" / "db" / "cases.jsonl"
    rows.write_text(rows.read_text().replace("工地裸土", "工地"))
    r = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code == 1 and "db/cases.jsonl is corrupt" in r.output


def test_cli_backup_is_published_whole_or_not_at_all(app, client, make_user, runner, empty_instance, tmp_path):
    fill(app, client, make_user, runner)
    r = runner.invoke(args=["backup", str(tmp_path / "bk")])
    assert r.exit_code == 0, r.output
    assert f"{len(db.metadata.tables)} tables" in r.output
    assert "4 blobs" in r.output and "revision 0" in r.output
    assert runner.invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 1  # never overwritten
    target = empty_instance("target")
    r = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code == 0, r.output
    assert "4 photos verified" in r.output and "cases" in r.output
    # A photo blob missing from the live store: the backup fails, names it, and leaves nothing behind.
    with app.app_context():
        sha = db.session.execute(text("SELECT sha256 FROM photos WHERE sha256 IS NOT NULL")).scalars().first()
        get_store(app).blob_path(sha).unlink()
        db.session.remove()
    r = runner.invoke(args=["backup", str(tmp_path / "bk2")])
    assert r.exit_code == 1 and sha in r.output and "blob missing" in r.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".bk2", "bk2"))) == []
