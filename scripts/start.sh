#!/usr/bin/env bash
# Quick start: set everything up, print demo accounts, and serve on http://127.0.0.1:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo
.venv/bin/flask --app wsgi demo accounts
# A random SECRET_KEY made once per install, kept out of the repository (gunicorn refuses a weak one).
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s instance/secret_key ] || (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > instance/secret_key)
  export SECRET_KEY=$(cat instance/secret_key)
fi
PORT=${PORT:-8000}
echo
echo "Xuncha is running at http://127.0.0.1:${PORT}/  (API: /api, OpenAPI: /api/openapi.json, Open311: /open311/v2/services.json)"
echo "Press Ctrl+C to stop."
exec .venv/bin/gunicorn -c scripts/gunicorn.conf.py --bind "127.0.0.1:${PORT}" wsgi:app
