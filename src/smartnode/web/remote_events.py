"""Events of every node in the browser: /events lists the upcoming ones (ours and those this node
stores from peer nodes and the fediverse, each marked with the server it comes from), and
/remote-events?uri= is the page of another server's event, where a signed-in member joins and
leaves it. The Join goes to its organiser through the outbox and stays pending until their
Accept or Reject reaches our inbox (content/participation.py decides; content/remote_events.py
finds what a viewer may see)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.config import Settings
from smartnode.content import listings
from smartnode.content import participation_cases as cases
from smartnode.content.remote_events import shown_remote_event
from smartnode.errors import Conflict, Forbidden, Gone, NotFound
from smartnode.web.account_pages import see_other
from smartnode.web.apply_pages import to_signin
from smartnode.web.call_views import event_card, event_href, origin_of, remote_event_href
from smartnode.web.events import event_view
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_, using
from smartnode.web.notes import note_view, replies_view
from smartnode.web.page_actions import remote_event_actions
from smartnode.web.page_cache import cached_page
from smartnode.web.pages import error_page, render
from smartnode.web.participation_pages import refusal_word
from smartnode.web.viewer import page_member, request_language, viewer_of

router = APIRouter(include_in_schema=False)
Uri = Annotated[str, Query(min_length=1, max_length=2000)]
LISTED = 50
_MISSING = N_("There is no such event.")


@router.get("/events")
async def events(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The upcoming public events of this node and of the others it knows, soonest first."""

    async def page() -> Response:
        async with session.begin():
            found = await listings.upcoming_events(session, datetime.now(UTC), limit=LISTED,
                                                   everywhere=True)  # fmt: skip
        with using(request_language(request, settings)):
            cards = [event_card(obj, author) for obj, author in found]
        return render(request, "events.html", events=cards)

    return await cached_page(request, page)


@router.get("/remote-events")
async def remote_event(request: Request, uri: Uri) -> Response:
    """Another server's event as this node knows it, with Join and Leave for members."""
    return await cached_page(request, lambda: _remote_event_page(request, uri))


async def _remote_event_page(request: Request, uri: str) -> Response:
    settings: Settings = request.app.state.settings
    viewer = await page_member(request)
    member = viewer.actor if viewer else None
    async with request.app.state.db.session() as session:
        try:
            async with session.begin():
                obj, author = await shown_remote_event(session, uri, member)
        except NotFound:
            return error_page(request, 404, _MISSING)
        except Gone:
            return error_page(request, 410, N_("This event was cancelled."))
        page = event_href(obj)
        actions = await remote_event_actions(request, obj, page)
        replies = await replies_view(request, session, obj)
    replies["more_url"] = replies["more_url"] and replies["more_url"].replace(obj.uri, page, 1)
    replies["earlier_url"] = page if replies["earlier_url"] else None
    response = render(
        request, "event.html", headers=actions.headers({}), act=actions.context,
        n=note_view(obj, author, settings), replies=replies, e=event_view(obj),
        links={"ics": None, "feed": None}, json_ld=None, actor_uri=obj.uri, noindex=True,
        origin={"host": origin_of(obj), "url": obj.url or obj.uri},
    )  # fmt: skip
    return actions.finish(response)


@router.post("/remote-events/join")
async def join(
    request: Request, session: SessionDep, settings: SettingsDep, uri: Uri,
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:  # fmt: skip
    """Ask the organisers of another server's event to take part (a Join, pending)."""
    check_form(request, settings, await request.form())
    back = remote_event_href(uri)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(back + "#take-part")
    try:
        async with session.begin():
            await cases.take_part(session, request.app.state.uris, viewer.principal, uri,
                                  message, datetime.now(UTC))  # fmt: skip
        done = "asked"
    except (Conflict, Forbidden) as error:
        done = refusal_word(error)
    except (NotFound, Gone):
        return error_page(request, 404, _MISSING)
    return see_other(f"{back}&done={done}#take-part")


@router.post("/remote-events/leave")
async def leave(request: Request, session: SessionDep, settings: SettingsDep,
                uri: Uri) -> Response:  # fmt: skip
    """Stop taking part in another server's event, or withdraw the request (a Leave)."""
    check_form(request, settings, await request.form())
    back = remote_event_href(uri)
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin(back + "#take-part")
    try:
        async with session.begin():
            await cases.stop_taking_part(session, request.app.state.uris, viewer.principal,
                                         uri, datetime.now(UTC))  # fmt: skip
    except (NotFound, Gone):
        return see_other(f"{back}#take-part")
    return see_other(f"{back}&done=left#take-part")
