"""Refused uploads over real sockets through gunicorn: the phone reads the answer, not a reset."""
import hashlib
import http.client
import json
import uuid

import pytest

from ..helpers import case_body, generated_jpeg

LIMIT = 1_000_000
BIG = 4_000_000  # four times the limit, sent in full by the client


@pytest.fixture
def gunicorn(live_server_factory):
    return live_server_factory(XUNCHA_PHOTO_MAX_BYTES=str(LIMIT))


@pytest.fixture
def declared(gunicorn, add_user):
    """A signed-in inspector with a case that declares one small photo."""
    add_user("zhang.san", "inspector")
    status, body = send(gunicorn, "POST", "/api/auth/token",
                        json.dumps({"username": "zhang.san", "password": "correct horse battery"}).encode(),
                        {"Content-Type": "application/json"})
    token = body["token"]
    photo = generated_jpeg()
    decl = {"id": str(uuid.uuid4()), "sha256": hashlib.sha256(photo).hexdigest(), "size": len(photo),
            "content_type": "image/jpeg"}
    case_id = str(uuid.uuid4())
    status, _ = send(gunicorn, "PUT", f"/api/reports/{case_id}", json.dumps(case_body(photos=[decl])).encode(),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert status == 201
    return {"token": token, "case": case_id, "photo": decl["id"], "bytes": photo}


@pytest.fixture(params=["keep-alive", "close"])
def connection(request):
    """Both ways a client may ask: gunicorn discards unread bodies only on kept-alive connections."""
    return request.param


def send(server, method, path, body, headers, chunked=False):
    """Send the whole body, then read the answer; a reset while sending fails the test."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        if chunked:
            conn.putrequest(method, path)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 65536):
                part = body[i:i + 65536]
                conn.send(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def photo_path(d):
    return f"/api/reports/{d['case']}/photos/{d['photo']}"


def test_oversize_with_content_length_gets_413(gunicorn, declared, connection):
    status, body = send(gunicorn, "PUT", photo_path(declared), b"\xff\xd8\xff" + b"x" * BIG,
                        {"Content-Type": "image/jpeg", "Authorization": f"Bearer {declared['token']}",
                         "Connection": connection})
    assert status == 413 and body["code"] == "photo_too_large"


def test_oversize_chunked_gets_413(gunicorn, declared, connection):
    status, body = send(gunicorn, "PUT", photo_path(declared), b"\xff\xd8\xff" + b"x" * BIG,
                        {"Content-Type": "image/jpeg", "Authorization": f"Bearer {declared['token']}",
                         "Connection": connection}, chunked=True)
    assert status == 413 and body["code"] == "photo_too_large"


def test_wrong_type_gets_415_after_a_large_body(gunicorn, declared, connection):
    status, body = send(gunicorn, "PUT", photo_path(declared), b"<html>" + b"x" * BIG,
                        {"Content-Type": "text/html", "Authorization": f"Bearer {declared['token']}",
                         "Connection": connection})
    assert status == 415 and body["code"] == "unsupported_media_type"


def test_missing_token_gets_401_after_a_large_body(gunicorn, declared, connection):
    status, body = send(gunicorn, "PUT", photo_path(declared), b"x" * BIG,
                        {"Content-Type": "image/jpeg", "Connection": connection})
    assert status == 401 and body["code"] == "unauthorized"


def test_accepted_photo_through_gunicorn(gunicorn, declared):
    status, body = send(gunicorn, "PUT", photo_path(declared), declared["bytes"],
                        {"Content-Type": "image/jpeg", "Authorization": f"Bearer {declared['token']}"})
    assert status == 201 and body["received"] is True
