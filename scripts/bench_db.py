"""Fresh databases for the benchmark and load scripts: a SQLite file or a PostgreSQL schema."""
import os
import uuid

from sqlalchemy import create_engine, text

# The local PostgreSQL (trust auth); each run gets its own schema and drops it afterwards.
PG = os.environ.get("XUNCHA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(kind, directory, prefix="bench"):
    """(url, schema) of a new empty database: a SQLite file in directory, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{directory}/{prefix}.db", None
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _execute(f"CREATE SCHEMA {schema}")
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def drop_database(schema):
    """Drop a schema made by fresh_database (a SQLite file goes with its directory)."""
    if schema:
        _execute(f"DROP SCHEMA {schema} CASCADE")


def _execute(sql):
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(sql))
    engine.dispose()
