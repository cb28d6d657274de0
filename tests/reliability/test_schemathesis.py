"""Schemathesis: every operation in /api/openapi.json, fuzzed with valid and invalid input, never 5xx.

Runs in-process through the app's WSGI interface, signed in as the office (every operation) and as an
inspector (the operations an inspector may call). Checks: `not_a_server_error` on every response,
and `response_schema_conformance` on office responses, so the document tells clients the truth about
what comes back (the error envelope included).

Bounded for CI: 10 derandomized examples per operation and mode; XUNCHA_RELIABILITY_FULL=1 runs 150
with random seeds.
"""
import json
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.extensions import db
from server.models import User
from server.services import auth

from ..conftest import TEST_DB
from ..helpers import generated_jpeg, put_case_with_photos
from ..live import ROOT
from . import FULL

MAX_EXAMPLES = 150 if FULL else 10
# Operations closed to inspectors answer them 403 at once; fuzzing those as an inspector adds nothing.
OFFICE_ONLY_TAGS = {"admin", "office", "units"}
calls = Counter()
statuses = Counter()


@pytest.fixture
def tokens(app, make_user):
    """headers(role) → a fresh bearer token of an active office or inspector account.

    Fuzzed calls sign out (DELETE /api/auth/token), revoke tokens and deactivate accounts, the
    fuzzing accounts' own included; a fresh token of a re-activated account per call keeps every
    call signed in. A case with a photo gives lists and reads some content.
    """
    ids = {"inspector": make_user("inspector")[0], "office": make_user("office")[0]}
    inspector = {"Authorization": f"Bearer {_fresh_token(app, ids['inspector'])}"}
    put_case_with_photos(app.test_client(), inspector, [generated_jpeg()], description="schemathesis 种子")
    return lambda role: {"Authorization": f"Bearer {_fresh_token(app, ids[role])}"}


def _fresh_token(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.active = True
        raw, _ = auth.issue_token(user)
        db.session.commit()
        return raw


@pytest.fixture
def api_schema(app, tokens):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def summary():
    """Write what was run to test-artifacts/schemathesis-<db>.json for docs/reliability.md."""
    started = time.monotonic()
    yield
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / f"schemathesis-{TEST_DB}.json").write_text(json.dumps({
        "database": TEST_DB, "max_examples": MAX_EXAMPLES, "operations": len(calls),
        "requests": sum(calls.values()), "statuses": dict(sorted(statuses.items())),
        "per_operation": dict(sorted(calls.items())), "seconds": round(time.monotonic() - started, 1),
    }, indent=2, ensure_ascii=False))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=not FULL, database=None, deadline=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_server_error(case, tokens):
    roles = ["office"]
    if not OFFICE_ONLY_TAGS & set(case.operation.tags or []):
        roles.append("inspector")
    for role in roles:
        response = case.call(headers=tokens(role))
        calls[case.operation.label] += 1
        statuses[response.status_code] += 1
        checks = [not_a_server_error]
        if role == "office":
            checks.append(response_schema_conformance)
        case.validate_response(response, checks=checks)
