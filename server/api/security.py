"""Bearer-token authentication for API routes."""
from functools import wraps

from flask import g, request

from ..errors import ApiError
from ..services import auth


def bearer_token():
    """The raw token from `Authorization: Bearer …`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_user():
    """The signed-in user of this request (set by require_user)."""
    return g.user


def optional_user():
    """The user when a valid token is sent, else None (for routes open to the public)."""
    raw = bearer_token()
    return auth.user_for_token(raw) if raw else None


def require_user(*roles):
    """Decorator: 401 without a valid token, 403 when the role is not among `roles` (if given)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            raw = bearer_token()
            user = auth.user_for_token(raw) if raw else None
            if user is None:
                raise ApiError(401, "unauthorized", "请先登录（令牌缺失、无效、过期或已注销）",
                               headers={"WWW-Authenticate": 'Bearer realm="xuncha"'})
            if roles and user.role not in roles:
                raise ApiError(403, "forbidden", "当前角色无权执行此操作")
            g.user = user
            return view(*args, **kwargs)
        return wrapper
    return decorator
