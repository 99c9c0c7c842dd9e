"""Errors as answers, for every route: `{"error": words, "code": …}`, mapped here once.

Our own errors (smartnode.errors) carry their words. FastAPI's request validation is put into
words too: which field (`skills[2]`, `place.country`, `after`) and why (`must not be empty`,
`is required`, `body is not valid JSON (line 1, column 14): expecting value`), never pydantic's
`Value error, …` nor a bare offset. Starlette's HTTP errors (404 of an unknown path, 405) get
the same shape. 5xx answers say "internal error" and log the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartnode.errors import SmartnodeError, TooManyRequests
from smartnode.storage.outage import RETRY_AFTER_SECONDS, database_unavailable
from smartnode.validation_words import validation_message

log = logging.getLogger(__name__)

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
    headers = None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(exc.message, exc.code, exc.status_code, headers)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """A request FastAPI could not validate: 422 naming each field and what is wrong (400 for a
    body that is not JSON at all, as the inbox answers)."""
    message = validation_message(exc.errors(), exc.body)
    if all(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(message, "bad_request", 400)
    return error_response(message, "validation_failed", 422)


#: Paths of the Mastodon client API, whose errors are Mastodon's `{"error": words}`.
MASTODON_PREFIXES = ("/api/v1/", "/api/v2/")


def mastodon_path(path: str) -> bool:
    """Whether `path` belongs to the Mastodon client API."""
    return path.startswith(MASTODON_PREFIXES) or path in ("/api/v1", "/api/v2")


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (unknown path, wrong method, unreadable body) in our shape; under
    the Mastodon client API's prefixes in Mastodon's (an unknown route: `Record not found`)."""
    if mastodon_path(request.url.path):
        words = "Record not found" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"error": words}, exc.status_code, headers=exc.headers)
    detail = str(exc.detail)
    phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in _STATUSES else ""
    words = _HTTP_WORDS.get(detail, detail.lower() if detail == phrase else detail)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(words, code, exc.status_code, exc.headers)


async def storage_error(request: Request, exc: Exception) -> Response:
    """The database is away (restart, failover, full pool): 503 with Retry-After, not 500;
    any other driver error is a bug and stays a 500."""
    if not database_unavailable(exc):
        raise exc
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    words = "the service is unavailable for a moment; retry later"
    if mastodon_path(request.url.path):
        return JSONResponse({"error": words}, 503, headers=headers)
    return error_response(words, "unavailable", 503, headers)


def add_error_handlers(app: FastAPI) -> None:
    """Map every error to the API's shape."""
    for unavailable in (DBAPIError, PoolTimeout, ConnectionError):
        app.add_exception_handler(unavailable, storage_error)
    app.add_exception_handler(SmartnodeError, smartnode_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
