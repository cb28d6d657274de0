"""Sign-in, tokens, throttling, and the users/apikeys CLI."""
from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import ApiKey, AuthToken, User
from server.models.types import utcnow
from server.services import auth

PASSWORD = "correct horse battery"


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def test_sign_in_returns_token_user_and_expiry(client, make_user):
    make_user("liaison", unit="阳和街道办事处", username="li.si")
    r = sign_in(client, "li.si")
    assert r.status_code == 200
    assert r.json["user"]["role"] == "liaison"
    assert r.json["user"]["unit"] == {"code": "jdb", "name": "阳和街道办事处"}
    token = r.json["token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "li.si"
    expires = r.json["expires_at"]
    assert expires > (utcnow() + timedelta(days=29)).isoformat()


def test_tokens_and_passwords_are_stored_hashed(app, client, make_user):
    make_user("inspector", username="wang.wu")
    token = sign_in(client, "wang.wu").json["token"]
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "wang.wu")).scalar_one()
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
        hashes = db.session.execute(select(AuthToken.token_hash)).scalars().all()
        assert token not in hashes and auth.digest(token) in hashes


def test_wrong_password_and_unknown_user_are_401(client, make_user):
    make_user("inspector", username="zhao.liu")
    assert sign_in(client, "zhao.liu", "wrong password").status_code == 401
    r = sign_in(client, "nobody")
    assert r.status_code == 401 and r.json["code"] == "invalid_credentials"


def test_failed_logins_are_throttled(client, app, make_user):
    make_user("inspector", username="qian.qi")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(client, "qian.qi", "bad guess").status_code == 401
    r = sign_in(client, "qian.qi")  # even the right password waits now
    assert r.status_code == 429
    assert r.json["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) > 0


def test_revoked_token_is_refused(client, make_user):
    _, headers = make_user("inspector")
    assert client.delete("/api/auth/token", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_expired_token_is_refused(app, client, make_user):
    _, headers = make_user("inspector")
    with app.app_context():
        for token in db.session.execute(select(AuthToken)).scalars():
            token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_deactivated_user_cannot_use_token_or_sign_in(app, client, make_user):
    user_id, headers = make_user("inspector", username="sun.ba")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert sign_in(client, "sun.ba").status_code == 401


def test_cli_users_add(runner, client):
    r = runner.invoke(args=["users", "add", "zhou.jiu", "--role", "liaison", "--unit",
                            "柳东交警大队", "--password", PASSWORD])
    assert r.exit_code == 0, r.output
    assert sign_in(client, "zhou.jiu").json["user"]["unit"]["code"] == "jjdd"
    r = runner.invoke(args=["users", "add", "wu.shi", "--role", "liaison", "--password", PASSWORD])
    assert r.exit_code != 0 and "单位" in r.output
    r = runner.invoke(args=["users", "add", "zheng", "--role", "liaison", "--unit", "不存在的局",
                            "--password", PASSWORD])
    assert r.exit_code != 0
    r = runner.invoke(args=["users", "add", "zhou.jiu", "--role", "office", "--password", PASSWORD])
    assert r.exit_code != 0 and "已存在" in r.output


def test_cli_apikeys_add_prints_key_once_and_stores_hash(runner, app):
    r = runner.invoke(args=["apikeys", "add", "12345 hotline"])
    assert r.exit_code == 0
    raw = r.output.strip()
    with app.app_context():
        key = db.session.execute(select(ApiKey)).scalar_one()
        assert key.key_hash == auth.digest(raw) and raw not in key.key_hash
        assert auth.api_key_for(raw).name == "12345 hotline"


def test_cli_demo_accounts_print_working_passwords(runner, client):
    r = runner.invoke(args=["demo", "accounts"])
    assert r.exit_code == 0
    rows = [line.split() for line in r.output.splitlines()[1:]]
    roles = {row[0] for row in rows}
    assert roles == {"inspector", "liaison", "office", "admin"}
    for row in rows:
        assert sign_in(client, row[1], row[2]).status_code == 200
