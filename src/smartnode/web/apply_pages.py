"""Applying in the browser: POST /apply (a signed-in member of this node, CSRF-checked) through
the application use case, which stores the application for one of our calls or sends the
Offer to another node's project, as the native API does; GET /apply?uri= shows the form for
any call (a remote call is fetched and stored first)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api.deps import SessionDep, SettingsDep, request_resolver
from smartnode.api.v1.applications_schemas import ApplicationInput
from smartnode.config import Settings
from smartnode.content import application_cases as cases
from smartnode.content.applications_to_ap import text_html
from smartnode.content.call_cases import call_view
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.federation.fetch import FetchError
from smartnode.federation.uris import NodeUris
from smartnode.inbox.context import InboxContext
from smartnode.web.account_pages import Frame, render_framed, safe_next, see_other
from smartnode.web.call_views import call_card, terms_view
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, gettext, using
from smartnode.web.viewer import Viewer, page_language, viewer_of

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=6000)]
_FIELD_WORDS = {
    "motivation": N_("Write why you apply (at most 5,000 characters)."),
    "links": N_("Give at most five links, each a full https:// address."),
}


def inbox_context(request: Request, session: AsyncSession, now: datetime) -> InboxContext:
    """What fetching and storing a remote object needs (the node actor signs the fetches)."""
    settings: Settings = request.app.state.settings
    uris: NodeUris = request.app.state.uris
    resolver = request_resolver(request, session, now)
    return InboxContext(session=session, settings=settings, uris=uris, now=now, resolver=resolver)


def frame_of(request: Request, viewer: Viewer) -> Frame:
    """The page's language and signed-in state, taken before a transaction may expire rows."""
    return Frame(page_language(request, request.app.state.settings, viewer.account), True)


def to_signin(path: str) -> Response:
    """Sign in first, then come back to `path` (a path of this node only)."""
    return see_other("/signin?" + urlencode({"next": safe_next(path, "/board")}))


def _input_errors(error: ValidationError) -> list[tuple[str, str]]:
    fields = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
    return [(f, gettext(_FIELD_WORDS[f])) for f in ("motivation", "links") if f in fields]


async def _form_page(
    request: Request, session: AsyncSession, viewer: Viewer, call_uri: str, *,
    status_code: int = 200, **context: Any,
) -> Response:  # fmt: skip
    """The form for one call (fetched and stored first when it is another node's)."""
    settings: Settings = request.app.state.settings
    with using(page_language(request, settings, viewer.account)):
        async with session.begin():
            ctx = inbox_context(request, session, datetime.now(UTC))
            call = await cases.call_to_apply(ctx, call_uri)
            view = await call_view(session, call)
            card = call_card(view, settings.domain)
            terms = await terms_view(session, call)
    return render_framed(request, "apply.html", frame_of(request, viewer),
                         status_code=status_code, call=card, terms=terms, call_uri=call_uri,
                         **context)  # fmt: skip


@router.get("/apply")
async def apply_form(
    request: Request, session: SessionDep, settings: SettingsDep,
    uri: Annotated[str, Query(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """The application form of any call, for a signed-in member."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(request.url.path + "?" + urlencode({"uri": uri}))
    try:
        return await _form_page(request, session, viewer, uri)
    except (NotFound, FetchError):
        return _refused(
            request, frame_of(request, viewer), 404, N_("No call could be found at that address.")
        )


def _refused(request: Request, frame: Frame, status: int, message: str) -> Response:
    return render_framed(request, "apply.html", frame, status_code=status, refused=message)


@router.post("/apply")
async def apply(
    request: Request, session: SessionDep, settings: SettingsDep,
    call: Annotated[str, Form(max_length=2000)] = "", motivation: Field = "", links: Field = "",
) -> Response:  # fmt: skip
    """Apply to `call` as the signed-in member; back to the call's page when it is ours."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/apply?" + urlencode({"uri": call}))
    frame = frame_of(request, viewer)
    given = [line.strip() for line in links.splitlines() if line.strip()]
    with using(page_language(request, settings, viewer.account)):
        try:
            data = ApplicationInput.model_validate({"call": call, "motivation": motivation,
                                                    "links": given})  # fmt: skip
        except ValidationError as error:
            return await _form_page(request, session, viewer, call, status_code=422,
                                    errors=_input_errors(error), motivation=motivation,
                                    links=links)  # fmt: skip
    try:
        async with session.begin():
            ctx = inbox_context(request, session, datetime.now(UTC))
            await cases.apply(ctx, viewer.principal, call, text_html(data.motivation),
                              [str(link) for link in data.links])  # fmt: skip
    except Conflict as error:
        return _refused(request, frame, 409, _conflict_words(error))
    except (NotFound, ValidationFailed):
        return _refused(request, frame, 404, N_("No call could be found at that address."))
    except FetchError:
        return _refused(request, frame, 502, N_("The call's server did not answer; try later."))
    if request.app.state.uris.is_local(call):
        return see_other(f"{urlsplit(call).path}?applied=1#apply")
    return see_other("/apply/sent")


def _conflict_words(error: Conflict) -> str:
    if "already" in error.message:
        return N_("You have already applied to this call.")
    return N_("This call takes no applications.")


@router.get("/apply/sent")
async def sent(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """After applying to another node's call."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/board")
    return render_framed(request, "apply.html", frame_of(request, viewer), done=True)
