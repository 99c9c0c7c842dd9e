"""Editing a post in the browser (/notes/{id}/edit): its text, language, translation, hashtags
and, for an article, its title. Who sees it, whom it mentions and what it answers stay as
published. post_cases.edit_post decides; the audience is sent Update as the API sends it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content import post_cases
from smartnode.content.announcements import local_post
from smartnode.content.inputs import AnnouncementUpdate
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.storage.models import ContentObject
from smartnode.web import translation_fields
from smartnode.web.account_pages import see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.post_forms import WORDS, form_page, values_of, words_of
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
NOT_YOURS = N_("Only its author may change this post.")


def post_values(obj: ContentObject) -> dict[str, str]:
    """The form's values of a stored post: what its author wrote."""
    found = obj.extra.get("source") if isinstance(obj.extra, dict) else None
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    language = str(source.get("language") or obj.language or "")
    return {"content": str(source.get("content") or ""), "language": language,
            "hashtags": " ".join(source.get("hashtags") or []), "name": obj.name or "",
            **translation_fields.stored(source.get("content_map") or {}, language)}  # fmt: skip


def parsed(v: dict[str, str], article: bool) -> AnnouncementUpdate | dict[str, str]:
    """The validated edit, or each field's words."""
    if translation_fields.wrong(v, v["language"]):
        return {"tr_text": WORDS["tr_text"]}
    body: dict[str, Any] = {
        "content": v["content"], "language": v["language"] or None,
        "hashtags": words_of(v["hashtags"]),
        "content_map": translation_fields.content_map(v),
    }  # fmt: skip
    if article:
        body["name"] = v["name"]
    try:
        return AnnouncementUpdate.model_validate(body)
    except ValidationError as error:
        fields = {str(e["loc"][0]) if e["loc"] else "content" for e in error.errors()}
        named = {"content_map": "tr_text"}
        return {named.get(f, f): WORDS.get(named.get(f, f), WORDS["content"]) for f in fields}


@router.get("/notes/{token}/edit")
async def edit_form(request: Request, session: SessionDep, settings: SettingsDep,
                    token: Token) -> Response:  # fmt: skip
    """The post's form, filled in, for who may change it."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    uris = request.app.state.uris
    async with session.begin():
        if not await post_cases.may_edit_post(session, uris, viewer.principal, token):
            return form_page(request, frame, status_code=403, refused=NOT_YOURS)
        obj = await local_post(session, uris, token)
        values = post_values(obj)
        article = obj.ap_type == "Article"
    return form_page(
        request, frame, v=values, token=token, editing=True, article=article, errors={}
    )


@router.post("/notes/{token}/edit")
async def edit(request: Request, session: SessionDep, settings: SettingsDep,
               token: Token) -> Response:  # fmt: skip
    """Save the changes; the post's audience is sent Update."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    v = values_of(form)
    article = bool(v["name"])
    data = parsed(v, article)
    if isinstance(data, dict):
        return form_page(request, frame, status_code=422, v=v, token=token, editing=True,
                     article=article, errors=data)  # fmt: skip
    try:
        async with session.begin():
            view = await post_cases.edit_post(session, request.app.state.uris, viewer.principal,
                                              token, data, datetime.now(UTC))  # fmt: skip
            path = urlsplit(view.obj.uri).path
    except Forbidden:
        return form_page(request, frame, status_code=403, refused=NOT_YOURS)
    except (NotFound, Gone):
        return form_page(request, frame, status_code=404, refused=N_("There is no such post."))
    except ValidationFailed:
        return form_page(request, frame, status_code=422, v=v, token=token, editing=True,
                     article=False, errors={"name": WORDS["name"]})  # fmt: skip
    request.app.state.documents.clear()
    return see_other(f"{path}?done=edited")
