"""Writing, replying to and deleting posts in the browser: /new/post (`?reply_to=` a post, an
event or a call) and /notes/{id}/delete, for a signed-in member as themselves or for a project
they coordinate. The post use cases decide; each post and its Create / Delete go out through
the outbox as the native API's do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from smartnode.api.deps import SessionDep, SettingsDep, request_resolver
from smartnode.config import UI_LANGUAGES
from smartnode.content import post_cases
from smartnode.content.inputs import AnnouncementInput
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.federation.fetch import FetchError
from smartnode.web import translation_fields
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.event_forms import authors_of
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, language_name
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
FIELDS = ("as", "content", "language", "visibility", "mentions", "hashtags", "name",
          "reply_to")  # fmt: skip
FETCHES_PER_POST = 20
SHOWN_VISIBILITIES = ("public", "followers", "direct")
WORDS = {
    "content": N_("Write your post (at most 20,000 characters)."),
    "name": N_("A title is at most 200 characters."),
    "mentions": N_(
        "Name each person by their address, like @anna@se.smart.coop, separated by "
        "spaces; for “Only the people you mention”, name at least one."
    ),
    "hashtags": N_("Hashtags are single words of at most 60 characters, at most 20 of them."),
    "tr_text": N_(
        "Choose the language of each translation, other than the post's own, "
        "and each language once."
    ),
    "reply_to": N_("The post you answer could not be found."),
    "visibility": N_("Choose who may see the post."),
}
SENT = {"followers": N_("Your post is sent to your followers."),
        "direct": N_("Your post is sent to the people you mentioned.")}  # fmt: skip
NOT_YOURS = N_("Only its author may delete this post.")


def values_of(form: Any) -> dict[str, str]:
    typed = {key: str(form.get(key, "")).strip() for key in FIELDS}
    return typed | translation_fields.read(form)


def words_of(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w.strip("#@")]


def _body(v: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "content": v["content"], "language": v["language"] or None,
        "visibility": v["visibility"] if v["visibility"] in SHOWN_VISIBILITIES else "",
        "mentions": words_of(v["mentions"]), "hashtags": words_of(v["hashtags"]),
        "name": v["name"] or None, "in_reply_to": v["reply_to"] or None,
        "content_map": translation_fields.content_map(v),
    }  # fmt: skip
    return body


def parsed(v: dict[str, str]) -> AnnouncementInput | dict[str, str]:
    """The validated post, or each field's words."""
    errors: dict[str, str] = {}
    if translation_fields.wrong(v, v["language"]):
        errors["tr_text"] = WORDS["tr_text"]
    if v["visibility"] == "direct" and not words_of(v["mentions"]):
        errors["mentions"] = WORDS["mentions"]
    try:
        data = AnnouncementInput.model_validate(_body(v))
    except ValidationError as error:
        for item in error.errors():
            field = {"content_map": "tr_text", "in_reply_to": "reply_to"}.get(
                str(item["loc"][0]) if item["loc"] else "content", str(item["loc"][0])
            )
            errors[field] = WORDS.get(field, WORDS["content"])
    return errors or data


def form_page(
    request: Request, frame: Frame, *, status_code: int = 200, **context: Any
) -> Response:
    languages = [(code, language_name(code)) for code in UI_LANGUAGES]
    return render_framed(request, "post_form.html", frame,
                         status_code=status_code, languages=languages, **context)  # fmt: skip


@router.get("/new/post")
async def new_post(
    request: Request, session: SessionDep, settings: SettingsDep,
    reply_to: Annotated[str, Query(max_length=2000)] = "",
    as_: Annotated[str, Query(alias="as", max_length=64)] = "",
    sent: str = "",
) -> Response:  # fmt: skip
    """An empty post form, or the page that says where a non-public post went."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        path = request.url.path + (f"?{urlencode({'reply_to': reply_to})}" if reply_to else "")
        return to_signin(path)
    frame = frame_of(request, viewer)
    if sent in SENT:
        return form_page(request, frame, sent=SENT[sent])
    async with session.begin():
        authors = await authors_of(session, viewer, settings.domain)
    language = viewer.actor.language if viewer.actor.language in UI_LANGUAGES else ""
    given = {"as": as_, "reply_to": reply_to, "language": language, "visibility": "public"}
    values = dict.fromkeys(FIELDS, "") | translation_fields.read({}) | given
    return form_page(request, frame, v=values, authors=authors, errors={})


def _after(request: Request, uri: str, data: AnnouncementInput) -> str:
    """Where the member goes once the post is out."""
    if data.visibility.value not in ("public", "unlisted"):
        return f"/new/post?sent={data.visibility.value}"
    parent = str(data.in_reply_to) if data.in_reply_to else ""
    if parent and request.app.state.uris.is_local(parent):
        path = urlsplit(parent).path
        return f"{path}?done=replied#replies" if path.startswith("/notes/") else f"{path}#replies"
    return f"{urlsplit(uri).path}?done=published"


@router.post("/new/post")
async def publish(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Publish the post as the member or the project chosen."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/new/post")
    frame = frame_of(request, viewer)
    v = values_of(form)
    async with session.begin():
        authors = await authors_of(session, viewer, settings.domain)
    data = parsed(v)
    if isinstance(data, dict):
        return form_page(request, frame, status_code=422, v=v, authors=authors, errors=data)
    try:
        async with session.begin():
            moment = datetime.now(UTC)
            uris = request.app.state.uris
            view = await post_cases.publish_post(
                session, uris, viewer.principal, v["as"] or viewer.actor.username, data,
                request_resolver(request, session, moment, fetches=FETCHES_PER_POST), moment,
            )  # fmt: skip
            uri = view.obj.uri
    except (ValidationFailed, FetchError):
        return form_page(request, frame, status_code=422, v=v, authors=authors,
                     errors={"mentions": WORDS["mentions"]})  # fmt: skip
    except (Forbidden, NotFound, Gone):
        return form_page(request, frame, status_code=403, refused=N_(
            "You may post only as yourself or for a project you coordinate."))  # fmt: skip
    request.app.state.documents.clear()
    return see_other(_after(request, uri, data))


async def _may_delete(request: Request, session: SessionDep, viewer: Viewer, token: str) -> bool:
    async with session.begin():
        return await post_cases.may_edit_post(session, request.app.state.uris,
                                              viewer.principal, token)  # fmt: skip


@router.get("/notes/{token}/delete")
async def delete_form(request: Request, session: SessionDep, settings: SettingsDep,
                      token: Token) -> Response:  # fmt: skip
    """Ask the author to confirm."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    if not await _may_delete(request, session, viewer, token):
        return form_page(request, frame, status_code=403, refused=NOT_YOURS)
    return form_page(request, frame, delete=True, token=token)


@router.post("/notes/{token}/delete")
async def delete(request: Request, session: SessionDep, settings: SettingsDep,
                 token: Token) -> Response:  # fmt: skip
    """Delete the post; its audience is sent Delete."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await post_cases.delete_post(session, request.app.state.uris, viewer.principal,
                                         token, datetime.now(UTC))  # fmt: skip
    except Forbidden:
        return form_page(request, frame, status_code=403, refused=NOT_YOURS)
    except (NotFound, Gone):
        return form_page(request, frame, status_code=404, refused=N_("There is no such post."))
    request.app.state.documents.clear()
    return form_page(request, frame, deleted=True)
