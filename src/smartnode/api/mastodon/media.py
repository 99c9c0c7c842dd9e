"""Mastodon's media uploads: POST /api/v2/media and /api/v1/media (multipart `file`,
`description`, `focus`), and the owner's GET and PUT /api/v1/media/:id while the picture is not
yet attached. Pictures only, processed at once (200, never 202); the rules are the media
module's (media/attachments.py, media/images.py). Every route needs `write:media`, as on
Mastodon.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_id, member_of
from smartnode.api.mastodon.media_entities import media_entity
from smartnode.api.oauth_body import body_params
from smartnode.errors import BadRequest, ValidationFailed
from smartnode.media import MediaRefused
from smartnode.media.attachments import describe_media, own_unattached, upload_media

WRITE_MEDIA = "write:media"
#: The paths that take an upload: their request body may be as large as a picture (app.py).
UPLOAD_PATHS = ("/api/v1/media", "/api/v2/media")
router = APIRouter(include_in_schema=False, route_class=MastodonRoute)
#: A refused picture in Mastodon's words (its validation of the `file` attribute).
REFUSED = {
    "not_image": "Validation failed: File content type is invalid",
    "too_big": "Validation failed: File file size must be less than {limit} bytes",
    "too_many_pixels": "Validation failed: File dimensions are too large",
}


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=1, max_fields=20)
    except (AssertionError, ValueError, HTTPException):  # a broken form, or too many parts
        raise BadRequest("the body is not a form with one file") from None


async def upload(request: Request, principal: Caller, session: SessionDep,
                 settings: SettingsDep) -> JSONResponse:  # fmt: skip
    """Store an uploaded picture for a status to come; answers its MediaAttachment."""
    member_id(principal, WRITE_MEDIA)  # 401, 403 or 422 before the body is read
    form = await _form(request)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValidationFailed("Validation failed: File can't be blank")
    data = await file.read()
    try:
        async with session.begin():
            member = await member_of(session, principal, WRITE_MEDIA)
            media = await upload_media(session, settings, member, data, _text(form, "description"),
                                       _text(form, "focus"), datetime.now(UTC))  # fmt: skip
    except MediaRefused as exc:
        words = REFUSED[exc.reason].format(limit=settings.media_max_bytes)
        raise ValidationFailed(words) from None
    finally:
        await form.close()
    return JSONResponse(media_entity(settings, media))


for _path in UPLOAD_PATHS:
    router.add_api_route(_path, upload, methods=["POST"])


@router.get("/api/v1/media/{media}")
async def get_media(media: str, principal: Caller, session: SessionDep,
                    settings: SettingsDep) -> JSONResponse:  # fmt: skip
    async with session.begin():
        member = await member_of(session, principal, WRITE_MEDIA)
        found = await own_unattached(session, member, media)
    return JSONResponse(media_entity(settings, found))


@router.put("/api/v1/media/{media}")
async def update_media(media: str, request: Request, principal: Caller, session: SessionDep,
                       settings: SettingsDep) -> JSONResponse:  # fmt: skip
    """Change the alt text (`description`) or the focal point (`focus`, `x,y`)."""
    member_id(principal, WRITE_MEDIA)
    params = await body_params(request)
    wanted = {name: params.get(name) for name in ("description", "focus")}
    if any(value is not None and not isinstance(value, str) for value in wanted.values()):
        raise ValidationFailed("Validation failed: description and focus must be text")
    async with session.begin():
        member = await member_of(session, principal, WRITE_MEDIA)
        found = await own_unattached(session, member, media)
        describe_media(found, wanted["description"], wanted["focus"])  # type: ignore[arg-type]
    return JSONResponse(media_entity(settings, found))
