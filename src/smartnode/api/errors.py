"""Errors as answers, for every route: `{"error": words, "code": …}`, mapped here once.

Our own errors (smartnode.errors) carry their words. FastAPI's request validation is put into
words too: which field (`skills[2]`, `place.country`, `after`) and why (`must not be empty`,
`is required`, `body is not valid JSON (line 1, column 14): expecting value`), never pydantic's
`Value error, …` nor a bare offset. Starlette's HTTP errors (404 of an unknown path, 405) get
the same shape. 5xx answers say "internal error" and log the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartnode.errors import SmartnodeError

log = logging.getLogger(__name__)

#: Problems one answer lists at most.
MAX_PROBLEMS = 10
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "bytes", "dict", "list", "set", "none"})
_SHOULD = re.compile(r"^(?:Input|String|List|Value|Dictionary|Tuple|Set|Decimal|Date|Datetime)"
                     r" should ")  # fmt: skip
_NOT_N = re.compile(r"(?: after validation)?, not (\d+)$")
_PREFIXES = ("Value error, ", "Assertion failed, ")
_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413:
               "payload_too_large", 415: "unsupported_media_type"}  # fmt: skip
_STATUSES = frozenset(status.value for status in HTTPStatus)
_HTTP_WORDS = {"There was an error parsing the body": "the body could not be read as JSON"}


def error_response(
    message: str, code: str, status_code: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one error shape of the API."""
    return JSONResponse({"error": message, "code": code}, status_code, headers=headers)


async def smartnode_error(request: Request, exc: SmartnodeError) -> Response:
    """An error of our tree: its status and words (5xx: logged, and told as internal)."""
    if exc.status_code >= 500:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
        return error_response("internal error", "internal_error", 500)
    return error_response(exc.message, exc.code, exc.status_code)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """A request FastAPI could not validate: 422 naming each field and what is wrong (400 for a
    body that is not JSON at all, as the inbox answers)."""
    message = validation_message(exc.errors(), exc.body)
    if all(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(message, "bad_request", 400)
    return error_response(message, "validation_failed", 422)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (unknown path, wrong method, unreadable body) in our shape."""
    detail = str(exc.detail)
    phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in _STATUSES else ""
    words = _HTTP_WORDS.get(detail, detail.lower() if detail == phrase else detail)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(words, code, exc.status_code, exc.headers)


def add_error_handlers(app: FastAPI) -> None:
    """Map every error to the API's shape."""
    app.add_exception_handler(SmartnodeError, smartnode_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]


def validation_message(errors: Sequence[Any], body: Any = None) -> str:
    """Every problem of a failed validation in words, `; `-separated."""
    problems = list(dict.fromkeys(_problem(error, body) for error in errors))
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return f"{shown} (and {more} more)" if more > 0 else shown or "the request is not valid"


def _problem(error: Mapping[str, Any], body: Any) -> str:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    if kind == "json_invalid":
        return _json_problem(error, body)
    where = field_path(loc)
    if not where:
        return _body_problem(kind, error)
    return f"{where}: {_words(kind, error)}"


def _body_problem(kind: str, error: Mapping[str, Any]) -> str:
    """A problem of the body as a whole (model validators name their fields themselves)."""
    if kind == "missing":
        return "the request has no JSON body"
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        sent_as = " sent as application/json" if isinstance(error.get("input"), bytes) else ""
        return f"the body must be a JSON object{sent_as}"
    words = _words(kind, error)
    return words if re.match(r"^[\w.\[\]]+: ", words) else f"body: {words}"


def _json_problem(error: Mapping[str, Any], body: Any) -> str:
    """Where the JSON broke, as line and column, and why."""
    loc = tuple(error.get("loc", ()))
    position = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "")).strip().removesuffix(" starting at")
    where = ""
    if position is not None and isinstance(body, str | bytes):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        where = f" (line {line}, column {column})"
    return f"body is not valid JSON{where}" + (
        f": {reason[:1].lower()}{reason[1:]}" if reason else ""
    )


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "skills", 2, "uri")` → `skills[2].uri`; pydantic's union tags are left out."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES else loc)
    path = ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
        elif index == 0 or not _is_tag(str(part)):
            path += f".{part}" if path else str(part)
    return path


def _is_tag(part: str) -> bool:
    """A pydantic union/validator tag such as `str`, `function-after[…]`, `[key]`."""
    return (
        part in _TYPE_TAGS
        or "[" in part
        or "(" in part
        or re.fullmatch(r"[a-z]+(-[a-z]+)+", part) is not None
    )


def _words(kind: str, error: Mapping[str, Any]) -> str:
    """Pydantic's message as a plain sentence about the field."""
    message = str(error.get("msg", "")).strip()
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        return "must not be empty"
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    message = _SHOULD.sub("must ", message)
    return _NOT_N.sub(r" (\1 given)", message)
