#!/usr/bin/env bash
# Set up everything a fresh machine needs: Python venv and packages, the database schema, the catalog.
# Safe to re-run. Usage: scripts/setup.sh [--no-db]   (--no-db: packages only, for the test command)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing Python packages"
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# Front-end packages (idb) come from npm, pinned by pwa/package-lock.json; no build step.
lockstamp=pwa/node_modules/.lock.sha256
wantlock=$(sha256sum pwa/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$lockstamp" 2>/dev/null)" != "$wantlock" ]; then
  echo "== installing front-end packages (npm ci)"
  npm ci --prefix pwa --no-audit --no-fund --loglevel=error
  echo "$wantlock" > "$lockstamp"
fi

if [ "${1:-}" = "--no-db" ]; then
  exit 0
fi

mkdir -p instance
echo "== database schema (flask db upgrade)"
.venv/bin/flask --app wsgi db upgrade 2>&1 | grep -v "^INFO" || true
echo "== catalog from the plan"
.venv/bin/flask --app wsgi catalog load
