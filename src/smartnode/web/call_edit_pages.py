"""Editing, closing and re-opening one of our calls in the browser, for the coordinators of its
project, through the call use cases (each change goes out as Update, as the native API sends
it); the form is the one that publishes (web/call_forms.py)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep
from smartnode.content import call_cases as calls
from smartnode.content.call_terms import CLOSED, OPEN
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.errors import Conflict, Forbidden, Gone, NotFound, ValidationFailed
from smartnode.web.account_pages import see_other
from smartnode.web.apply_pages import frame_of, to_signin
from smartnode.web.call_form_input import call_data, errors_for, given_of, read_form
from smartnode.web.call_forms import NO_CALL, NOT_YOURS, form_page, signed_in
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.project_common import now, refused, refused_fields

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]
LATE = N_("This call cannot be re-opened: its deadline has passed. Set a later deadline first.")
SAME = N_("The call is in that state already.")


@router.get("/calls/{token}/edit")
async def edit_call(request: Request, session: SessionDep, token: Token) -> Response:
    """The form to change a call, filled with what its coordinators wrote."""
    viewer = await signed_in(request, session)
    if viewer is None:
        return to_signin(request.url.path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            view, data = await calls.call_to_edit(
                session, request.app.state.uris, viewer.principal, token
            )
            given = given_of(data, view.obj.name or "")
            target = {
                "action": f"/calls/{token}/edit",
                "back": urlsplit(view.obj.uri).path,
                "editing": True,
                "project": view.author.name,
            }
    except Forbidden:
        return refused(request, frame, "call_form.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "call_form.html", 404, NO_CALL)
    return await form_page(request, session, frame, given, target)


@router.post("/calls/{token}/edit")
async def change_call(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    token: Token,
) -> Response:
    """Save the call's changes (its Update goes out); its page next."""
    form = await request.form()
    check_form(request, settings, form)
    viewer = await signed_in(request, session)
    if viewer is None:
        return to_signin(f"/calls/{token}/edit")
    frame, given = frame_of(request, viewer), read_form(form)
    path = urlsplit(request.app.state.uris.call(token)).path
    target = {"action": f"/calls/{token}/edit", "back": path, "editing": True}
    if form.get("find"):
        return await form_page(request, session, frame, given, target)
    try:
        fields = call_data(given)
        CallInput.model_validate({**fields, "visibility": "public"})  # the whole call, checked
        change = CallUpdate.model_validate(fields)
        async with session.begin():
            await calls.change_call(
                session, request.app.state.uris, viewer.principal, token, change, now()
            )
    except (ValidationError, ValidationFailed) as error:
        errors = errors_for(refused_fields(error))
        return await form_page(request, session, frame, given, target, status=422, errors=errors)
    except Forbidden:
        return refused(request, frame, "call_form.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "call_form.html", 404, NO_CALL)
    documents.clear()
    return see_other(path)


@router.post("/calls/{token}/state")
async def change_state(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    documents: DocumentsDep,
    token: Token,
    state: Annotated[str, Form(pattern=r"^(open|closed)$")],
) -> Response:
    """Close the call (no more applications) or re-open it."""
    check_form(request, settings, await request.form())
    viewer = await signed_in(request, session)
    path = urlsplit(request.app.state.uris.call(token)).path
    if viewer is None:
        return to_signin(path)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            await calls.change_call_state(
                session,
                request.app.state.uris,
                viewer.principal,
                token,
                OPEN if state == OPEN else CLOSED,
                now(),
            )
    except Forbidden:
        return refused(request, frame, "call_form.html", 403, NOT_YOURS)
    except (NotFound, Gone):
        return refused(request, frame, "call_form.html", 404, NO_CALL)
    except Conflict as error:
        words = LATE if "deadline" in error.message else SAME
        return refused(request, frame, "call_form.html", 409, words, back=path)
    documents.clear()
    return see_other(path)
