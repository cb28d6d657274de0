"""Sign in and out."""
from flask import request
from flask_smorest import Blueprint

from ..schemas import TokenIn, TokenOut, UserOut
from ..services import auth
from .security import bearer_token, current_user, require_user

bp = Blueprint("auth", __name__, description="Sign-in with bearer tokens")


def user_json(user):
    """The user as the client sees themself."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role, "unit": user.unit.ref() if user.unit else None}


@bp.post("/auth/token")
@bp.arguments(TokenIn)
@bp.response(200, TokenOut)
def create_token(data):
    """Exchange username and password for a bearer token (valid 30 days by default)."""
    raw, token = auth.sign_in(data["username"], data["password"], request.remote_addr or "")
    return {"token": raw, "expires_at": token.expires_at, "user": user_json(token.user)}


@bp.delete("/auth/token")
@require_user()
@bp.response(204)
def delete_token():
    """Revoke the token this request was made with."""
    auth.revoke_token(bearer_token())


@bp.get("/auth/me")
@require_user()
@bp.response(200, UserOut)
def me():
    """The signed-in user."""
    return user_json(current_user())
