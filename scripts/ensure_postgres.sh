#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and has the database `test`; start the cluster if down.
set -euo pipefail
HOST=127.0.0.1
if ! pg_isready -q -h "$HOST" -p 5432 2>/dev/null; then
  echo "== starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$HOST" -p 5432 && break; sleep 1; done
fi
pg_isready -h "$HOST" -p 5432 >/dev/null
if ! psql -h "$HOST" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1; then
  createdb -h "$HOST" -U postgres test
fi
