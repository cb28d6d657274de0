"""Input that used to reach the database or Python's limits and answer 500: now a 4xx envelope.

Found by tests/reliability/test_hostile_input.py and test_schemathesis.py; each test here pins one.
"""
import base64
import json
import uuid

import pytest

from ..helpers import case_body, declare, generated_jpeg


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt is not under test here."""
    from werkzeug.security import generate_password_hash
    from server.services import auth
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


def envelope(r, status, code=None):
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert set(body) == {"code", "message", "errors"}
    if code:
        assert body["code"] == code, body
    return body


def a_case(**changes):
    body = case_body(photos=[declare(generated_jpeg())])
    body.update(changes)
    return body


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfff"])
def test_nul_and_lone_surrogates_in_json_are_refused(client, inspector, text):
    # PostgreSQL cannot store NUL; no driver can encode a lone surrogate: both were a 500.
    r = client.put(f"/api/reports/{uuid.uuid4()}", data=json.dumps(a_case(description=text)),
                   content_type="application/json", headers=inspector)
    body = envelope(r, 422, "invalid_characters")
    assert "json.description" in body["errors"]


def test_nul_in_a_json_key_is_refused(client, office):
    r = client.post("/api/users", data='{"a\\u0000": 1}', content_type="application/json", headers=office)
    envelope(r, 422, "invalid_characters")


@pytest.mark.parametrize("url", ["/api/units/%00/webhook", "/api/reports?category=%00",
                                 "/open311/v2/requests.json?service_code=%00", "/api/public/reports/%00?receipt=x"])
def test_nul_in_path_or_query_is_refused(client, office, url):
    method = "PUT" if "webhook" in url else "GET"
    r = client.open(url, method=method, json={"webhook_url": None} if method == "PUT" else None, headers=office)
    envelope(r, 422, "invalid_characters")


def test_nul_in_public_and_open311_forms_is_refused(client):
    r = client.post("/api/public/reports", data={"category": "a1-piling\x00", "lat": "1", "lon": "1"},
                    content_type="multipart/form-data")
    envelope(r, 422, "invalid_characters")
    r = client.post("/open311/v2/requests.json", data={"service_code": "\x00"})
    envelope(r, 422, "invalid_characters")


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000])
def test_deeply_nested_json_is_400(client, inspector, body):
    # json.loads recursed once per level and raised RecursionError: a 500.
    r = client.put(f"/api/reports/{uuid.uuid4()}", data=body, content_type="application/json", headers=inspector)
    envelope(r, 400, "invalid_json")


def test_moderately_nested_json_still_reaches_validation(client, inspector):
    r = client.put(f"/api/reports/{uuid.uuid4()}", data="[" * 500 + "]" * 500, content_type="application/json",
                   headers=inspector)
    envelope(r, 422, "invalid_input")


@pytest.mark.parametrize("captured_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                         "1899-12-31T23:59:59Z"])
def test_captured_at_outside_1900_2999_is_422(client, inspector, captured_at):
    # 0001-01-01T00:00+14:00 has no UTC time: astimezone() raised OverflowError, a 500.
    r = client.put(f"/api/reports/{uuid.uuid4()}", json=a_case(captured_at=captured_at), headers=inspector)
    assert "captured_at" in envelope(r, 422)["errors"]


@pytest.mark.parametrize("query", ["since=0001-01-01T00:00:00%2B14:00", "from=9999-12-31T23:59:59-14:00",
                                   "to=0001-01-01T00:00:00Z"])
def test_list_dates_outside_1900_2999_are_422(client, office, query):
    envelope(client.get(f"/api/reports?{query}", headers=office), 422)


@pytest.mark.parametrize("period", ["from=9999-12-31&to=9999-12-31", "from=0001-01-01&to=0001-01-01"])
def test_evaluation_period_outside_1900_2999_is_422(client, office, period):
    # to + 1 day overflowed at 9999-12-31: a 500.
    envelope(client.get(f"/api/evaluation?{period}", headers=office), 422)
    envelope(client.get(f"/api/exports/evaluation.xlsx?{period}", headers=office), 422)


def test_transition_due_at_outside_1900_2999_is_422(client, office):
    r = client.post(f"/api/reports/{uuid.uuid4()}/transitions", headers=office, json={
        "id": str(uuid.uuid4()), "action": "grant_extension", "due_at": "0001-01-01T00:00:00+14:00"})
    assert "due_at" in envelope(r, 422)["errors"]


@pytest.mark.parametrize("pk", [b"9" * 29, b"-99999999999999999999", b"0", b"-1"])
def test_cursor_outside_64_bits_is_422(client, office, pk):
    # The SQLite driver raised OverflowError and PostgreSQL "bigint out of range": a 500.
    cursor = base64.urlsafe_b64encode(pk).decode().rstrip("=")
    envelope(client.get(f"/api/reports?cursor={cursor}", headers=office), 422, "invalid_cursor")


@pytest.mark.parametrize("user_id", ["99999999999999999999", "2147483648"])
def test_user_id_past_32_bits_is_404(client, office, user_id):
    envelope(client.patch(f"/api/users/{user_id}", json={"active": False}, headers=office), 404, "user_not_found")
    envelope(client.post(f"/api/users/{user_id}/revoke-tokens", headers=office), 404, "user_not_found")


@pytest.mark.parametrize("param", ["start_date=0001-01-01T00:00:00%2B14:00", "end_date=0001-01-02T00:00:00Z",
                                   "end_date=9999-12-31T23:59:59-14:00"])
def test_open311_dates_outside_1900_2999_are_400(client, param):
    envelope(client.get(f"/open311/v2/requests.json?{param}"), 400, "invalid_parameter")


def test_open311_media_with_a_non_ascii_signature_is_404(client):
    # hmac.compare_digest raised TypeError on a non-ASCII str: a 500.
    envelope(client.get("/open311/v2/media/" + "a" * 64 + "/thumb.jpg?sig=%C3%A9"), 404, "not_found")


def test_openapi_documents_the_real_error_envelope(client):
    spec = client.get("/api/openapi.json").get_json()
    ref = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"]["code"]["type"] == "string"
    assert set(schema["properties"]) == {"code", "message", "errors"}
    evaluation = spec["paths"]["/api/evaluation"]["get"]["responses"]
    assert "200" in evaluation
