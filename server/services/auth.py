"""Users, sign-in with throttling, hashed bearer tokens and Open311 API keys."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ApiError
from ..extensions import db
from ..models import ROLES, ApiKey, AuthToken, LoginFailure, Unit, User
from ..models.types import utcnow

# A hash to compare against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Writing last_used_at on every request would turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def digest(secret):
    """SHA-256 hex of a high-entropy secret (tokens, API keys); passwords use scrypt instead."""
    return hashlib.sha256(secret.encode()).hexdigest()


def find_unit(name_or_code):
    """A unit by its code or its exact name."""
    return db.session.execute(
        select(Unit).where(or_(Unit.code == name_or_code, Unit.name == name_or_code))
    ).scalar_one_or_none()


def create_user(username, role, password, unit=None, display_name=None):
    """Add a user; a liaison must belong to a unit, others must not."""
    if role not in ROLES:
        raise ApiError(422, "invalid_role", f"角色必须是 {', '.join(ROLES)} 之一", {"role": [role]})
    unit_row = find_unit(unit) if unit else None
    if unit and unit_row is None:
        raise ApiError(422, "unknown_unit", f"没有这个单位：{unit}", {"unit": [unit]})
    if role == "liaison" and unit_row is None:
        raise ApiError(422, "unit_required", "联络员必须属于一个单位", {"unit": ["required"]})
    if len(password) < 8:
        raise ApiError(422, "weak_password", "密码至少 8 位", {"password": ["too short"]})
    if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise ApiError(409, "username_taken", f"用户名已存在：{username}")
    user = User(username=username, role=role, unit=unit_row, display_name=display_name,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    return user


def _throttled(username, remote_addr):
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    by_name = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username, LoginFailure.at >= since))
    by_addr = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.remote_addr == remote_addr, LoginFailure.at >= since))
    # An address may try several names (a shared office NAT), so it gets a larger allowance.
    return by_name >= cfg["LOGIN_MAX_FAILURES"] or by_addr >= cfg["LOGIN_MAX_FAILURES"] * 4


def sign_in(username, password, remote_addr):
    """Check the password and issue a token: (raw token, AuthToken). Throttles repeated failures."""
    window = current_app.config["LOGIN_WINDOW_MINUTES"]
    if _throttled(username, remote_addr):
        raise ApiError(429, "too_many_attempts", f"登录失败次数过多，请 {window} 分钟后再试",
                       headers={"Retry-After": str(window * 60)})
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and ok and user.active):
        db.session.add(LoginFailure(username=username[:60], remote_addr=remote_addr[:64]))
        db.session.execute(delete(LoginFailure).where(
            LoginFailure.at < utcnow() - timedelta(minutes=window)))
        db.session.commit()
        raise ApiError(401, "invalid_credentials", "用户名或密码错误")
    raw, token = issue_token(user)
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    db.session.commit()
    return raw, token


def issue_token(user):
    """A new bearer token for a user (not committed)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = AuthToken(user=user, token_hash=digest(raw), created_at=now,
                      expires_at=now + timedelta(days=current_app.config["TOKEN_TTL_DAYS"]))
    db.session.add(token)
    return raw, token


def user_for_token(raw):
    """The active user behind a bearer token, or None when unknown, expired or revoked."""
    token = db.session.execute(
        select(AuthToken).where(AuthToken.token_hash == digest(raw))).scalar_one_or_none()
    now = utcnow()
    if token is None or token.revoked_at or token.expires_at <= now or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    return token.user


def revoke_token(raw):
    """Revoke one token; revoking an unknown or revoked token is not an error."""
    token = db.session.execute(
        select(AuthToken).where(AuthToken.token_hash == digest(raw))).scalar_one_or_none()
    if token and not token.revoked_at:
        token.revoked_at = utcnow()
        db.session.commit()


def create_api_key(name):
    """A new Open311 key: returns the raw key once; only its hash is kept."""
    if db.session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none():
        raise ApiError(409, "name_taken", f"API key name already used: {name}")
    raw = "x311_" + secrets.token_urlsafe(24)
    db.session.add(ApiKey(name=name, key_hash=digest(raw)))
    db.session.commit()
    return raw


def api_key_for(raw):
    """The active ApiKey for a raw key, or None."""
    if not raw:
        return None
    key = db.session.execute(
        select(ApiKey).where(ApiKey.key_hash == digest(raw))).scalar_one_or_none()
    return key if key and not key.revoked_at else None
