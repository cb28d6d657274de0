"""One JSON error envelope for every failure: {code, message, errors}."""
import logging

from flask import jsonify
from flask_smorest import Api
from werkzeug.exceptions import InternalServerError

from .schemas.common import ErrorOut

log = logging.getLogger(__name__)

# Machine-readable codes for the HTTP errors that carry no code of their own.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "server_error",
}
# Werkzeug's default descriptions are long English paragraphs; clients show these instead.
DEFAULT_MESSAGES = {
    400: "请求无法解析 Bad request",
    401: "请先登录 Sign-in required",
    403: "无权执行此操作 Forbidden",
    404: "不存在 Not found",
    405: "不支持此方法 Method not allowed",
    409: "与现有数据冲突 Conflict",
    413: "请求体过大 Request too large",
    415: "不支持的内容类型 Unsupported media type",
    422: "输入有误 Invalid input",
    429: "请求过于频繁 Too many requests",
}


class ApiError(Exception):
    """A failure a client can act on: HTTP status, stable code, readable message, field errors."""

    def __init__(self, status, code, message, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}


def error_response(status, code, message, errors=None, headers=None):
    """The envelope as a Flask response."""
    resp = jsonify({"code": code, "message": message, "errors": errors or {}})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class XunchaApi(Api):
    """flask-smorest Api whose errors use the project's envelope."""

    # The OpenAPI document describes error responses with the envelope actually sent.
    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error):
        """Render any HTTPException (including webargs validation) as the envelope."""
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.exception("unhandled error", exc_info=original)
            return error_response(500, "server_error", "服务器内部错误 Internal server error")
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        # webargs nests errors by location ({"json": {...}}); clients want the fields.
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "headers", "view_args"}:
            merged = {}
            for part in errors.values():
                merged.update(part if isinstance(part, dict) else {"_": part})
            errors = merged
        code = data.get("code") or DEFAULT_CODES.get(error.code, "error")
        message = data.get("message") or DEFAULT_MESSAGES.get(error.code) or error.name
        if error.code == 400 and "json" in str(errors).lower():
            code, message = "invalid_json", "JSON 无法解析 Invalid JSON body"
        return error_response(error.code, code, message, errors, data.get("headers"))


def register_error_handlers(app):
    """ApiError and stray exceptions become the envelope; nothing a client sends yields an HTML page."""

    @app.errorhandler(ApiError)
    def handle_api_error(err):
        return error_response(err.status, err.code, err.message, err.errors, err.headers)

    @app.errorhandler(Exception)
    def handle_unexpected(err):
        # HTTPExceptions reach XunchaApi.handle_http_exception, the more specific handler.
        log.exception("unhandled error")
        return error_response(500, "server_error", "服务器内部错误 Internal server error")
