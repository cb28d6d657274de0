"""Online backup and restore: a logical snapshot of every table plus the photo blobs it references.

A backup is a directory, built under a temp name beside its destination and published by one rename,
so a half-written backup never looks complete:

    backup.json            format, time, Alembic revision, source database, rows per table, SHA-256 of
                           every file below except the blobs (written last)
    db/<table>.jsonl       one JSON object per row, every column, values typed by the model's column
                           (ISO datetimes in UTC, UUID strings, JSON values wrapped in a list so that a
                           JSON null and an SQL NULL stay apart); the same file loads into SQLite and
                           PostgreSQL, whichever it came from
    manifest.jsonl         {"path", "sha256", "size"} per blob
    blobs/ab/cd/<sha256>   the originals, laid out as in the photo store (derivatives are rebuilt on demand)

Consistency while the server keeps writing: every table is read in one read-only snapshot transaction
(PostgreSQL REPEATABLE READ; SQLite a read transaction, which WAL lets writers work beside). The photo
store fsyncs and renames a blob into its content address before the photo row commits, and never
rewrites or removes a blob, so each received photo row of the snapshot has its blob on disk when the
copy runs afterwards, byte for byte what the row's sha256 says (the copy checks it). A photo committed
after the snapshot is in neither the rows nor the manifest: the backup is the instance at one instant.

Restore wants an empty target (no tables, no blobs) unless forced. It checks the backup's files, copies
and verifies every blob into the store (temp, fsync, rename), migrates the empty database to the
recorded revision, inserts the rows in dependency order in one transaction, resets PostgreSQL's
sequences and migrates on to this code's head. Any failure undoes what it added and says why.
"""
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timezone
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import JSON, Date, DateTime, Integer, MetaData, Uuid, bindparam, inspect, null, select, text

from ..extensions import db
from ..models.types import UTCDateTime
from .photo_store import CHUNK, _fsync_dir, get_store

FORMAT = "xuncha-backup/1"
BATCH = 1000
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says which file or table."""


def _kind(column):
    """How a column's values are written to JSON: datetime, date, uuid, json or plain."""
    t = column.type
    if isinstance(t, (UTCDateTime, DateTime)):
        return "datetime"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Uuid):
        return "uuid"
    return "json" if isinstance(t, JSON) else "plain"


def _encode(kind, value, sql_null=False):
    if value is None and (kind != "json" or sql_null):
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "uuid":
        return str(value)
    return [value] if kind == "json" else value


def _decode(kind, value):
    if value is None:
        return null() if kind == "json" else None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "json":
        return JSON.NULL if value[0] is None else value[0]
    return value


class _File:
    """A file written once: hashed on the way, fsynced on close."""

    def __init__(self, path):
        self.path, self.f, self.h = path, open(path, "wb"), hashlib.sha256()

    def line(self, obj):
        data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.h.update(data)
        self.f.write(data)

    def close(self):
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()
        return self.h.hexdigest()


def _blob_rel(sha256):
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _copy_verified(src, dst, sha256, size):
    """Copy src to dst (fsynced; None: only read), raising BackupError naming src unless its sha256 and size match."""
    h, n = hashlib.sha256(), 0
    try:
        with open(src, "rb") as fin, (open(dst, "wb") if dst else nullcontext()) as fout:
            while chunk := fin.read(CHUNK):
                h.update(chunk)
                n += len(chunk)
                if fout:
                    fout.write(chunk)
            if fout:
                fout.flush()
                os.fsync(fout.fileno())
    except FileNotFoundError:
        if dst:
            Path(dst).unlink(missing_ok=True)
        raise BackupError(f"blob missing: {src} (photo sha256 {sha256})")
    if h.hexdigest() != sha256 or n != size:
        if dst:
            Path(dst).unlink(missing_ok=True)
        raise BackupError(f"blob corrupt: {src}: sha256 {h.hexdigest()} size {n}, "
                          f"expected sha256 {sha256} size {size}")


def _scripts():
    """This code's Alembic migration scripts."""
    mig = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(mig.migrate.get_config(mig.directory))


@contextmanager
def _snapshot(engine):
    """A connection that reads the whole database as of one instant, without blocking writers."""
    if engine.dialect.name == "postgresql":
        opts = dict(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with engine.connect().execution_options(**opts) as conn, conn.begin():
            yield conn
        return
    # pysqlite opens no transaction for SELECTs: take over and hold one read transaction ourselves;
    # its snapshot is fixed by the first read.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.exec_driver_sql("ROLLBACK")


def _dump_table(conn, table, out, blobs):
    """Write a table's rows ordered by primary key; collect the blobs that photo rows reference."""
    kinds = {c.name: _kind(c) for c in table.columns}
    json_cols = [c for c in table.columns if kinds[c.name] == "json"]
    query = select(table, *[c.is_(None).label(f"__null_{c.name}") for c in json_cols]) \
        .order_by(*table.primary_key.columns)
    rows = 0
    for row in conn.execution_options(yield_per=BATCH).execute(query).mappings():
        out.line({name: _encode(kind, row[name], row.get(f"__null_{name}", False))
                  for name, kind in kinds.items()})
        if table.name == "photos" and row["sha256"] is not None:
            blobs[row["sha256"]] = row["size"]
        rows += 1
    return rows


def backup(dest):
    """Write a consistent backup of this instance to the new directory dest; returns a summary."""
    dest = Path(dest).resolve()
    if dest.exists():
        raise BackupError(f"{dest} already exists")
    started = time.monotonic()
    tmp = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex[:8]}"
    (tmp / "db").mkdir(parents=True)
    try:
        meta = _write_backup(tmp)
        _fsync_dir(tmp)
        os.rename(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    meta["seconds"] = round(time.monotonic() - started, 2)
    return meta


def _write_backup(tmp):
    engine, store = db.engine, get_store(current_app)
    files, tables, blobs = {}, {}, {}
    with _snapshot(engine) as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        head = _scripts().get_current_head()
        if revision != head:
            raise BackupError(f"the database is at revision {revision}, this code at {head}: run db upgrade")
        taken_at = datetime.now(timezone.utc)
        for table in db.metadata.sorted_tables:
            out = _File(tmp / "db" / f"{table.name}.jsonl")
            tables[table.name] = _dump_table(conn, table, out, blobs)
            files[f"db/{table.name}.jsonl"] = out.close()
    # The snapshot is closed: copying blobs takes long, and they cannot change under us.
    manifest, dirs, total = _File(tmp / "manifest.jsonl"), set(), 0
    for sha256, size in sorted(blobs.items()):
        rel = _blob_rel(sha256)
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        _copy_verified(store.blob_path(sha256), tmp / rel, sha256, size)
        manifest.line({"path": rel, "sha256": sha256, "size": size})
        dirs.add((tmp / rel).parent)
        total += size
    files["manifest.jsonl"] = manifest.close()
    for d in sorted(dirs) + sorted({d.parent for d in dirs}) + [tmp / "blobs", tmp / "db"]:
        if d.exists():
            _fsync_dir(d)
    meta = {"format": FORMAT, "taken_at": taken_at.isoformat(), "revision": revision,
            "source": engine.dialect.name, "tables": tables, "files": files,
            "blobs": {"count": len(blobs), "bytes": total}}
    out = _File(tmp / "backup.json")
    out.line(meta)
    out.close()
    return meta


def read_meta(src):
    """backup.json of a backup, after checking the format and every listed file's SHA-256."""
    src = Path(src)
    try:
        meta = json.loads((src / "backup.json").read_text())
    except (OSError, ValueError) as err:
        raise BackupError(f"{src} is not a complete backup ({err})")
    if meta.get("format") != FORMAT:
        raise BackupError(f"{src}: unknown format {meta.get('format')!r}")
    for rel, want in meta["files"].items():
        h = hashlib.sha256()
        with open(src / rel, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        if h.hexdigest() != want:
            raise BackupError(f"{src / rel} is corrupt: sha256 {h.hexdigest()}, expected {want}")
    unknown = set(meta["tables"]) - set(db.metadata.tables)
    if unknown:
        raise BackupError(f"tables this code does not know: {', '.join(sorted(unknown))}")
    try:
        _scripts().get_revision(meta["revision"])
    except Exception:
        raise BackupError(f"revision {meta['revision']} is unknown to this code (a newer backup?)")
    return meta


def _manifest(src):
    with open(Path(src) / "manifest.jsonl") as f:
        for line in f:
            entry = json.loads(line)
            if not SHA256_RE.match(entry["sha256"]) or entry["path"] != _blob_rel(entry["sha256"]):
                raise BackupError(f"manifest entry with a bad path: {entry['path']}")
            yield entry


def is_empty():
    """True when the configured database has no tables and the photo store no blobs."""
    store = get_store(current_app)
    has_blobs = any(p.is_file() for p in (store.root / "blobs").rglob("*"))
    return not inspect(db.engine).get_table_names() and not has_blobs


def _wipe():
    """Drop every table of the configured database and every blob and derivative of the store."""
    store = get_store(current_app)
    tables = MetaData()
    tables.reflect(db.engine)
    tables.drop_all(db.engine)
    for sub in ("blobs", "derived"):
        shutil.rmtree(store.root / sub, ignore_errors=True)
        (store.root / sub).mkdir()


def restore(src, force=False):
    """Rebuild this (empty) instance from the backup at src; returns rows per table and blob totals."""
    meta = read_meta(src)
    if not is_empty():
        if not force:
            raise BackupError("the target instance is not empty (tables or photo blobs exist); "
                              "use --force to replace it")
        for entry in _manifest(src):  # destroy nothing until the whole backup is known good
            _copy_verified(Path(src) / entry["path"], None, entry["sha256"], entry["size"])
        _wipe()
    try:
        shas, total = _restore_blobs(src)
        upgrade(revision=meta["revision"])
        counts = _load_rows(src, meta, shas)
        upgrade()
    except BaseException:
        db.session.remove()
        _wipe()  # the target was empty: leave it so
        raise
    return {"revision": meta["revision"], "taken_at": meta["taken_at"], "tables": counts,
            "blobs": {"count": len(shas), "bytes": total}}


def _restore_blobs(src):
    store = get_store(current_app)
    shas, total = set(), 0
    for entry in _manifest(src):
        final = store.blob_path(entry["sha256"])
        part = store.tmp / f"{uuid.uuid4().hex}.part"
        _copy_verified(Path(src) / entry["path"], part, entry["sha256"], entry["size"])
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        _fsync_dir(final.parent)
        shas.add(entry["sha256"])
        total += entry["size"]
    return shas, total


def _load_rows(src, meta, shas):
    """Insert every table's rows in dependency order, in one transaction."""
    counts = {}
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in meta["tables"]:
                counts[table.name] = _load_table(conn, table, Path(src) / "db" / f"{table.name}.jsonl", shas)
                if counts[table.name] != meta["tables"][table.name]:
                    raise BackupError(f"{table.name}: {counts[table.name]} rows read, "
                                      f"backup.json says {meta['tables'][table.name]}")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


def _load_table(conn, table, path, shas):
    kinds = {c.name: _kind(c) for c in table.columns}
    # A row may point at a later row of its own table (a duplicate of a newer case): set those after.
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    (pk,) = table.primary_key.columns if self_refs else (None,)
    batch, later, rows = [], [], 0
    with open(path) as f:
        for line in f:
            raw = json.loads(line)
            if set(raw) - set(kinds):
                raise BackupError(f"{table.name}: columns this code does not know: {set(raw) - set(kinds)}")
            if table.name == "photos" and raw["sha256"] is not None and raw["sha256"] not in shas:
                raise BackupError(f"photo {raw['id']}: blob {raw['sha256']} is not in the backup")
            row = {name: _decode(kinds[name], value) for name, value in raw.items()}
            for name in self_refs:
                if row[name] is not None:
                    later.append({"_pk": row[pk.name], "_ref": row[name], "_col": name})
                    row[name] = None
            batch.append(row)
            rows += 1
            if len(batch) == BATCH:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for name in self_refs:
        updates = [u for u in later if u["_col"] == name]
        if updates:
            conn.execute(table.update().where(pk == bindparam("_pk")).values({name: bindparam("_ref")}),
                         [{"_pk": u["_pk"], "_ref": u["_ref"]} for u in updates])
    return rows


def _reset_sequences(conn):
    """Move each serial column's sequence past the restored ids, so new rows do not collide."""
    for table in db.metadata.sorted_tables:
        cols = list(table.primary_key.columns)
        if len(cols) == 1 and isinstance(cols[0].type, Integer) and cols[0].autoincrement is not False:
            # setval(NULL, …) is NULL: a table without a sequence passes through unharmed.
            conn.execute(text(f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{cols[0].name}"), 0) + 1, '
                              f'false) FROM "{table.name}"'), {"t": table.name, "c": cols[0].name})
