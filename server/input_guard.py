"""Refuse at the door text no database can store and JSON no parser should recurse through.

PostgreSQL text cannot hold NUL (U+0000), and neither database driver can encode an unpaired
surrogate (JSON may spell one as "\\ud800"); both used to reach the driver and fail as a 500.
Python's JSON parser recurses once per nesting level, so `[[[[…` 100,000 deep raised
RecursionError, also a 500. One check here covers every route: path, query string and JSON body;
form bodies are checked where they are read (the public form, Open311).
"""
import json
import re

from flask import request

from .errors import ApiError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "含有无法保存的字符（NUL 或不成对的代理字符） Text contains NUL or an unpaired surrogate"


def unstorable(text):
    """True when a string holds a character the database cannot store."""
    return isinstance(text, str) and UNSTORABLE.search(text) is not None


def check_pairs(pairs, location):
    """Refuse (422) the first key or value among (key, value) pairs that cannot be stored."""
    for key, value in pairs:
        if unstorable(key) or unstorable(value):
            raise ApiError(422, "invalid_characters", MESSAGE, {f"{location}.{key}"[:80]: ["invalid characters"]})


def _check_json(document):
    # Iterative, not recursive: the document may be nested as deep as the parser allowed.
    stack = [("json", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                raise ApiError(422, "invalid_characters", MESSAGE, {where[:80]: ["invalid characters"]})
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    raise ApiError(422, "invalid_characters", MESSAGE, {where[:80]: ["invalid characters in a key"]})
                stack.append((f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))


def register_input_guard(app):
    """Check every request's path, query string and JSON body before any view sees them."""

    @app.before_request
    def refuse_unstorable_input():
        if unstorable(request.path):
            raise ApiError(422, "invalid_characters", MESSAGE, {"path": ["invalid characters"]})
        check_pairs(request.args.items(multi=True), "query")
        if not request.is_json:
            return
        body = request.get_data(cache=True)
        if not body:
            return
        try:
            document = json.loads(body)
        except RecursionError:
            raise ApiError(400, "invalid_json", "JSON 嵌套过深 JSON nested too deeply")
        except ValueError:
            return  # the route's own parser answers 400 invalid_json
        _check_json(document)
