"""A member edits their own profile in the browser (/account/profile): name, bio per language,
picture, place, working languages with CEFR levels, availability, ESCO skills and the consents.
`change_whole_profile` decides and federates the change (one Update{Person}, as the native API's
profile change sends it). The picture is a file sent with the form (multipart), checked and
re-encoded by media/ before anything is written; `set_avatar` stores it in the same transaction.

Skills come from ESCO without JavaScript: the words typed and "Find skills" send the form back,
which returns, nothing saved, with the skills found in the page's language to tick. With
JavaScript, /account/profile/skills?q= fills the field's suggestions as the member types.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from smartnode.actors import member_cases as members
from smartnode.actors.handles import handle_of
from smartnode.actors.members import get_member
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.matching.taxonomy import search_concepts
from smartnode.media import AVATAR, MediaRefused, PreparedImage, prepare_upload, set_avatar
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.profile_form import (
    MAX_SKILLS,
    PICTURE_WORDS,
    all_languages,
    cefr_choices,
    errors_for,
    given_of,
    parsed,
    read_form,
    skill_levels,
)
from smartnode.web.project_common import country_choices, language_choices, now, refused
from smartnode.web.viewer import Viewer, page_language, viewer_of

router = APIRouter(include_in_schema=False)
PATH = "/account/profile"
TEMPLATE = "account/profile.html"
#: ESCO skills shown per search.
FOUND = 12
GONE = N_("Your profile can no longer be changed.")


async def _found(session: AsyncSession, given: dict[str, Any], language: str) -> None:
    """Add the ESCO skills matching the words typed (unticked) after the chosen ones."""
    if not given.get("skill_q"):
        return
    given["skills"] = [row for row in given["skills"] if row["keep"] == "1"]
    chosen = {row["value"] for row in given["skills"]}
    async with session.begin():
        hits = await search_concepts(session, given["skill_q"], language, kinds=("skill",),
                                     limit=FOUND)  # fmt: skip
    room = MAX_SKILLS - len(given["skills"])
    new = [h for h in hits if h.uri and h.uri not in chosen][: max(room, 0)]
    given["skills"] += [{"value": h.uri, "label": h.label, "level": "2", "teach": "",
                         "learn": "", "keep": ""} for h in new]  # fmt: skip
    given["searched"] = True
    given["found"] = len(new)


def _who(request: Request, viewer: Viewer) -> dict[str, str]:
    """The member's username, handle and page, read before a rollback may expire the row."""
    actor = viewer.actor
    domain = request.app.state.settings.domain
    return {"username": actor.username, "handle": handle_of(actor, domain), "page_url": actor.uri}


def _form(
    request: Request, frame: Frame, who: dict[str, str], given: dict[str, Any], *,
    errors: dict[str, str] | None = None, status: int = 200, saved: bool = False,
) -> Response:  # fmt: skip
    """The profile form with the choices in the page's language."""
    with using(frame.language):
        choices = {
            "languages": language_choices(),
            "countries": country_choices(),
            "all_languages": all_languages(),
        }
    known = {code for code, _ in choices["languages"]}
    others = [code for code in given.get("levels", {}) if code not in known]
    megabytes = max(1, round(request.app.state.settings.media_max_bytes / 1024 / 1024))
    return render_framed(
        request, TEMPLATE, frame, status_code=status, f=given, errors=errors or {},
        saved=saved, cefr=cefr_choices(), skill_levels=skill_levels(), other_codes=others,
        who=who, picture_megabytes=megabytes, **choices,
    )  # fmt: skip


async def _picture(form: FormData, settings: Settings) -> PreparedImage | str | None:
    """The picture chosen, checked and re-encoded; the reason it is refused; or None when no
    file was chosen."""
    upload = form.get("avatar")
    if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
        return None
    data = await upload.read(settings.media_max_bytes + 1)
    try:
        return await prepare_upload(settings, data, AVATAR)
    except MediaRefused as refused:
        return refused.reason


@router.get(PATH)
async def profile_form(request: Request, session: SessionDep, settings: SettingsDep,
                       saved: str = "") -> Response:  # fmt: skip
    """The signed-in member's profile, filled with what they have."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(PATH)
    frame, who = frame_of(request, viewer), _who(request, viewer)
    try:
        async with session.begin():
            actor, view = await members.read_matching_profile(
                session, viewer.principal, who["username"], frame.language
            )
            actor, profile = await get_member(session, actor.username)
            given = given_of(actor, profile, view)
    except (NotFound, Gone, Forbidden):
        return refused(request, frame, TEMPLATE, 404, GONE)
    return _form(request, frame, who, given, saved=saved == "1")


@router.post(PATH)
async def profile_change(
    request: Request, session: SessionDep, settings: SettingsDep, documents: DocumentsDep
) -> Response:
    """Save the profile (its Update goes out), or for "Find skills" show the form again with
    the skills found."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(PATH)
    frame, given, who = frame_of(request, viewer), read_form(form), _who(request, viewer)
    actor = viewer.actor
    given["avatar_url"] = actor.icon_url or ""
    if form.get("find"):
        await _found(session, given, frame.language)
        return _form(request, frame, who, given)
    picture = await _picture(form, settings)
    inputs = parsed(given, {**actor.summary_map, actor.language: actor.summary})
    if isinstance(inputs, dict) or isinstance(picture, str):
        errors = inputs if isinstance(inputs, dict) else {}
        if isinstance(picture, str):
            errors = {"avatar": PICTURE_WORDS[picture], **errors}
        status = 413 if picture == "too_big" else 422
        return _form(request, frame, who, given, errors=errors, status=status)
    try:
        async with session.begin():
            if picture is not None or form.get("avatar_remove") == "1":
                await set_avatar(session, settings, viewer.principal, actor, picture, now())
            await members.change_whole_profile(
                session, request.app.state.uris, viewer.principal, who["username"],
                inputs[0], inputs[1], now(),
            )  # fmt: skip
    except ValidationFailed:
        return _form(request, frame, who, given, errors=errors_for({"skills"}), status=422)
    except (NotFound, Gone, Forbidden):
        return refused(request, frame, TEMPLATE, 404, GONE)
    documents.clear()
    return see_other(f"{PATH}?saved=1")


@router.get(f"{PATH}/skills")
async def skill_suggestions(
    request: Request, session: SessionDep, settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:  # fmt: skip
    """ESCO skills whose label in the viewer's language contains `q` (the field's suggestions)."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return JSONResponse({"items": []}, status_code=401)
    language = page_language(request, settings, viewer.account)
    if len(q.strip()) < 2:
        return JSONResponse({"items": []})
    async with session.begin():
        hits = await search_concepts(session, q, language, kinds=("skill",), limit=FOUND)
    items = [{"uri": h.uri, "label": h.label} for h in hits if h.uri]
    return JSONResponse({"items": items}, headers={"Cache-Control": "private, max-age=300"})
