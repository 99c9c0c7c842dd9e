"""Creating, editing and cancelling events in the browser: /new/event, /events/{id}/edit and
/events/{id}/cancel, for a signed-in member as themselves or for a project they coordinate.
The event use cases decide who may; each change federates (Create / Update / Delete) as the
native API's does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.collections import member_projects
from smartnode.actors.handles import handle_of
from smartnode.api.cache import DocumentCache
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import UI_LANGUAGES
from smartnode.content import event_cases, participation_cases
from smartnode.content.events_inputs import EventInput, EventUpdate, timezones
from smartnode.errors import Forbidden, Gone, NotFound, ValidationFailed
from smartnode.web.account_pages import Frame, render_framed, see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.event_fields import (
    WORDS,
    FormErrors,
    event_values,
    new_values,
    parsed,
    values_of,
)
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, language_name
from smartnode.web.viewer import Viewer, viewer_of

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
NOT_YOURS = N_("Only the event's organisers may change it.")
NO_EVENT = N_("There is no such event.")


async def authors_of(session: AsyncSession, viewer: Viewer, domain: str) -> list[dict[str, str]]:
    """Whom the member may publish as: themselves, then the projects they coordinate."""
    me = viewer.actor
    rows = await member_projects(session, me.id)
    mine = [{"username": me.username, "name": me.name or me.username,
             "handle": handle_of(me, domain)}]  # fmt: skip
    return mine + [
        {"username": p.username, "name": p.name or p.username, "handle": handle_of(p, domain)}
        for m, p in rows
        if m.role == "coordinator" and p.deleted_at is None
    ]


def _choices() -> dict[str, Any]:
    return {
        "languages": [(code, language_name(code)) for code in UI_LANGUAGES],
        "zones": sorted(timezones()),
    }


def _form(request: Request, frame: Frame, *, status_code: int = 200, **context: Any) -> Response:
    errors: dict[str, str] = context.pop("errors", {})
    return render_framed(request, "event_form.html", frame,
                         status_code=status_code, errors=errors, words=WORDS, **_choices(),
                         **context)  # fmt: skip


def _refused(request: Request, frame: Frame, status: int, message: str) -> Response:
    return render_framed(request, "event_form.html", frame,
                         status_code=status, refused=message)  # fmt: skip


def _documents(request: Request) -> None:
    documents: DocumentCache = request.app.state.documents
    documents.clear()


@router.get("/new/event")
async def new_event(
    request: Request, session: SessionDep, settings: SettingsDep,
    as_: Annotated[str, Query(alias="as", max_length=64)] = "",
) -> Response:  # fmt: skip
    """An empty event form; `?as=` names the project it is for."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    async with session.begin():
        authors = await authors_of(session, viewer, settings.domain)
    values = new_values(viewer.actor.language, settings.node_country) | {"as": as_}
    return _form(request, frame, v=values, authors=authors, creating=True)


@router.post("/new/event")
async def create(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Publish the event as the member or the project chosen."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/new/event")
    frame = frame_of(request, viewer)
    values = values_of(form)
    async with session.begin():
        authors = await authors_of(session, viewer, settings.domain)
    try:
        data = parsed(values, creating=True)
        assert isinstance(data, EventInput)
        async with session.begin():
            view = await event_cases.publish_event(
                session, request.app.state.uris, viewer.principal,
                values["as"] or viewer.actor.username, data, datetime.now(UTC),
            )  # fmt: skip
            path = urlsplit(view.obj.uri).path
    except FormErrors as error:
        return _form(request, frame, status_code=422, v=values, authors=authors,
                     creating=True, errors=error.fields)  # fmt: skip
    except (Forbidden, NotFound, Gone):
        return _refused(request, frame, 403, N_("You may publish events only as yourself or "
                                                 "for a project you coordinate."))  # fmt: skip
    _documents(request)
    return see_other(f"{path}?done=created")


async def _organised(
    request: Request, session: AsyncSession, viewer: Viewer, token: str
) -> participation_cases.Standing | Response:
    """The event when the viewer organises it; else the refusal page."""
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            found = await participation_cases.standing(
                session, request.app.state.uris, viewer.principal, token
            )
    except (NotFound, Gone):
        return _refused(request, frame, 404, NO_EVENT)
    if not found.organizes:
        return _refused(request, frame, 403, NOT_YOURS)
    return found


@router.get("/events/{token}/edit")
async def edit_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token
) -> Response:
    """The event's form, filled in, for its organisers."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    found = await _organised(request, session, viewer, token)
    if isinstance(found, Response):
        return found
    return _form(request, frame, v=event_values(found.event), token=token,
                 title=found.event.name)  # fmt: skip


@router.post("/events/{token}/edit")
async def edit(request: Request, session: SessionDep, settings: SettingsDep,
               token: Token) -> Response:  # fmt: skip
    """Save the changes; the event's audience is sent Update."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    values = values_of(form)
    try:
        data = parsed(values, creating=False)
        assert isinstance(data, EventUpdate)
        async with session.begin():
            view = await event_cases.change_event(session, request.app.state.uris,
                                                  viewer.principal, token, data,
                                                  datetime.now(UTC))  # fmt: skip
            path = urlsplit(view.obj.uri).path
    except (FormErrors, ValidationFailed) as error:
        fields = error.fields if isinstance(error, FormErrors) else {"ends": WORDS["ends"]}
        return _form(request, frame, status_code=422, v=values, token=token,
                     title=values["name"], errors=fields)  # fmt: skip
    except Forbidden:
        return _refused(request, frame, 403, NOT_YOURS)
    except (NotFound, Gone):
        return _refused(request, frame, 404, NO_EVENT)
    _documents(request)
    return see_other(f"{path}?done=edited")


@router.get("/events/{token}/cancel")
async def cancel_form(
    request: Request, session: SessionDep, settings: SettingsDep, token: Token
) -> Response:
    """Ask the organiser to confirm."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    found = await _organised(request, session, viewer, token)
    if isinstance(found, Response):
        return found
    return render_framed(request, "event_form.html", frame, cancel=True,
                         token=token, title=found.event.name,
                         url=urlsplit(found.event.uri).path)  # fmt: skip


@router.post("/events/{token}/cancel")
async def cancel(request: Request, session: SessionDep, settings: SettingsDep,
                 token: Token) -> Response:  # fmt: skip
    """Cancel (delete) the event; its audience is sent Delete."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await event_cases.remove_event(session, request.app.state.uris, viewer.principal,
                                           token, datetime.now(UTC))  # fmt: skip
    except Forbidden:
        return _refused(request, frame, 403, NOT_YOURS)
    except (NotFound, Gone):
        return _refused(request, frame, 404, NO_EVENT)
    _documents(request)
    return render_framed(request, "event_form.html", frame, cancelled=True)
