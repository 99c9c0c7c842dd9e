"""Reading what apps send to the OAuth endpoints: form or JSON bodies (Mastodon takes both),
and the client's credentials from HTTP Basic or the body (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from smartnode.accounts.oauth_errors import INVALID_CLIENT, INVALID_REQUEST, OAuthError
from smartnode.errors import BadRequest

Params = dict[str, str | list[str]]
#: Never cached, never read by another origin's scripts with cookies (none are used here).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CORS = {"Access-Control-Allow-Origin": "*"}


async def body_params(request: Request) -> Params:
    """The body's values: a JSON object, or form fields (`name[]` or a repeated name: a list).
    BadRequest for a body that is neither."""
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type:
        try:
            data: Any = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError as exc:
            raise BadRequest("the body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return {key: _json_value(value) for key, value in data.items()}
    form = await request.form()
    params: Params = {}
    for key in form:
        values = [value for value in form.getlist(key) if isinstance(value, str)]
        if not values:
            continue
        name = key.removesuffix("[]")
        params[name] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return params


def _json_value(value: Any) -> Any:
    """Numbers and booleans as the strings a form would carry; the rest as sent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def single(params: Params, name: str) -> str | None:
    """A parameter sent at most once, as text (RFC 6749 §3.2); `invalid_request` else."""
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise OAuthError(INVALID_REQUEST, f"{name} must be sent once, as text")


def client_credentials(request: Request, params: Params) -> tuple[str | None, str | None]:
    """The client id and secret: from `Authorization: Basic` (each part form-encoded) or from
    the body, never both."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return single(params, "client_id"), single(params, "client_secret")
    if "client_secret" in params:
        raise OAuthError(INVALID_REQUEST, "authenticate the client one way only")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError(INVALID_CLIENT, "the Basic credentials cannot be read") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(INVALID_CLIENT, "the Basic credentials cannot be read")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if single(params, "client_id") not in (None, client_id):
        raise OAuthError(INVALID_REQUEST, "client_id differs from the Basic credentials")
    return client_id, secret


def oauth_refusal(refusal: OAuthError) -> JSONResponse:
    """An RFC 6749 §5.2 error answer (401 with a Basic challenge for `invalid_client`)."""
    headers = {**NO_STORE, **CORS}
    if refusal.status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="smartnode"'
    return JSONResponse(refusal.to_json(), status_code=refusal.status_code, headers=headers)
