"""A member's preferences and reading markers as Mastodon apps read and save them:
GET /api/v1/preferences (`read:accounts`), GET and POST /api/v1/markers (`read:statuses`,
`write:statuses`). The use cases are accounts/client_preferences.py and accounts/markers.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.client_preferences import SCOPE as PREFERENCES_SCOPE
from smartnode.accounts.client_preferences import client_preferences
from smartnode.accounts.markers import (
    READ_SCOPE,
    TIMELINES,
    WRITE_SCOPE,
    Marker,
    check_last_read_id,
    read_markers,
    save_markers,
)
from smartnode.api.deps import SessionDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_id
from smartnode.api.oauth_body import CORS
from smartnode.errors import BadRequest, ValidationFailed

router = APIRouter(include_in_schema=False, route_class=MastodonRoute)
MAX_BODY = 4096


@router.get("/api/v1/preferences")
async def preferences(principal: Caller, session: SessionDep) -> JSONResponse:
    """Mastodon's Preferences entity."""
    member_id(principal, PREFERENCES_SCOPE)
    async with session.begin():
        found = await client_preferences(session, principal)
    return JSONResponse(
        {
            "posting:default:visibility": found.default_visibility,
            "posting:default:sensitive": found.default_sensitive,
            "posting:default:language": found.default_language,
            "reading:expand:media": found.expand_media,
            "reading:expand:spoilers": found.expand_spoilers,
        },
        headers=CORS,
    )


def _markers_entity(markers: list[Marker]) -> dict[str, Any]:
    return {
        marker.timeline: {
            "last_read_id": marker.last_read_id,
            "version": marker.version,
            "updated_at": marker.updated_at.astimezone(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        for marker in markers
    }  # fmt: skip


@router.get("/api/v1/markers")
async def markers(request: Request, principal: Caller, session: SessionDep) -> JSONResponse:
    """The markers of the timelines named by `timeline[]` (none named: none answered)."""
    member_id(principal, READ_SCOPE)
    params = request.query_params
    wanted = [*params.getlist("timeline[]"), *params.getlist("timeline")]
    async with session.begin():
        found = await read_markers(session, principal, wanted)
    return JSONResponse(_markers_entity(found), headers=CORS)


async def _last_read(request: Request) -> dict[str, str]:
    """`{timeline: last_read_id}` from a JSON body (`{"home": {"last_read_id": "1"}}`) or form
    fields (`home[last_read_id]=1`); unknown timelines are ignored, as Mastodon does."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("the body is too large")
    if "json" in request.headers.get("content-type", "").lower():
        try:
            data = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise BadRequest("the body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        sent = {
            name: data[name].get("last_read_id") if isinstance(data[name], dict) else None
            for name in TIMELINES if name in data
        }  # fmt: skip
    else:
        form = await request.form()
        sent = {name: form.get(f"{name}[last_read_id]") for name in TIMELINES
                if f"{name}[last_read_id]" in form}  # fmt: skip
    if not sent:
        raise ValidationFailed("name home[last_read_id] or notifications[last_read_id]")
    return {name: check_last_read_id(name, value) for name, value in sent.items()}


@router.post("/api/v1/markers")
async def save(request: Request, principal: Caller, session: SessionDep) -> JSONResponse:
    """Save where the member stopped reading; the saved markers."""
    member_id(principal, WRITE_SCOPE)
    last_read = await _last_read(request)
    async with session.begin():
        saved = await save_markers(session, principal, last_read, datetime.now(UTC))
    return JSONResponse(_markers_entity(saved), headers=CORS)
