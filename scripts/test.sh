#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL (a fresh schema each run).
# Extra arguments go to pytest, e.g. scripts/test.sh -k routing
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-db || exit 1
bash scripts/ensure_postgres.sh || exit 1
bash scripts/install_browser.sh || exit 1

mkdir -p test-artifacts
status=0
for dbkind in sqlite postgresql; do
  echo "== tests on $dbkind"
  XUNCHA_TEST_DB=$dbkind .venv/bin/python -m pytest -q -p no:cacheprovider \
    --junitxml="test-artifacts/junit-$dbkind.xml" "$@"
  rc=$?
  [ $rc -ne 0 ] && status=$rc
done
# One closing line over both runs.
.venv/bin/python scripts/junit_total.py test-artifacts/junit-sqlite.xml test-artifacts/junit-postgresql.xml
exit $status
