"""What an event's or a post's page offers its viewer: Join / Leave and the organiser's links on
an event, Reply / Delete on a post; the domain says who may (participation_cases.standing,
post_cases.may_edit_post). The forms carry a CSRF token; such a page is never cached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response

from smartnode.config import Settings
from smartnode.content import participation_cases, post_cases
from smartnode.content.participation import facts
from smartnode.content.remote_events import remote_standing
from smartnode.errors import Gone, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import ContentObject
from smartnode.web.forms import Csrf
from smartnode.web.i18n import N_
from smartnode.web.viewer import page_member

#: What a Join, Leave or answer came to (`?done=` on the event's page), in words.
EVENT_DONE = {
    "joined": N_("You are taking part. See you there!"),
    "asked": N_("Your request was sent. The organisers will answer you."),
    "left": N_("You no longer take part in this event."),
    "created": N_("Your event is published."),
    "edited": N_("Your changes are saved."),
    "full": N_("Sorry, the event is full."),
    "closed": N_("This event takes no more participants."),
    "already": N_("You have already joined this event or asked to."),
}
POST_DONE = {"published": N_("Your post is published."), "replied": N_("Your reply is published."),
             "edited": N_("Your changes are saved.")}  # fmt: skip


@dataclass
class Actions:
    """The viewer's part of a page, and the CSRF token its forms carry."""

    context: dict[str, Any] = field(default_factory=dict)
    csrf: Csrf | None = None

    def headers(self, base: dict[str, str]) -> dict[str, str]:
        """A page with a form bound to this browser is never kept in a shared cache."""
        if self.csrf is None:
            return base
        return {**base, "Vary": "Accept, Cookie", "Cache-Control": "private, no-store"}

    def finish(self, response: Response) -> Response:
        if self.csrf is not None:
            self.csrf.set_on(response)
        return response


def _signin(obj: ContentObject, anchor: str) -> str:
    return "/signin?" + urlencode({"next": urlsplit(obj.uri).path + anchor})


def _done(request: Request, words: dict[str, str]) -> str | None:
    return words.get(request.query_params.get("done", ""))


def _over(obj: ContentObject) -> bool:
    ends = obj.ends_at or obj.starts_at
    if ends is None:
        return False
    return (ends if ends.tzinfo else ends.replace(tzinfo=UTC)) < datetime.now(UTC)


def _event_base(request: Request, obj: ContentObject, page: str) -> dict[str, Any]:
    """What every viewer's part of an event's page says; `page` is where its forms post."""
    return {"done": _done(request, EVENT_DONE), "over": _over(obj),
            "just_joined": request.query_params.get("done") == "joined",
            "mode": str(facts(obj).get("join_mode") or "free"),
            "join_url": _beside(page, "join"), "leave_url": _beside(page, "leave"),
            "reply_url": "/new/post?" + urlencode({"reply_to": obj.uri})}  # fmt: skip


def _beside(page: str, action: str) -> str:
    """`/events/t` → `/events/t/join`; `/remote-events?uri=…` → `/remote-events/join?uri=…`."""
    path, _, query = page.partition("?")
    return f"{path}/{action}" + (f"?{query}" if query else "")


async def event_actions(request: Request, obj: ContentObject) -> Actions:
    """Join / Leave for a signed-in member, the organiser's links, sign-in for a visitor."""
    uris: NodeUris = request.app.state.uris
    token = uris.event_token(obj.uri) or ""
    base = {"token": token, **_event_base(request, obj, f"/events/{token}")}
    viewer = await page_member(request)
    if viewer is None:
        return Actions({**base, "member": False, "signin_url": _signin(obj, "#take-part")})
    async with request.app.state.db.session() as own, own.begin():
        try:
            found = await participation_cases.standing(own, uris, viewer.principal, token)
        except (NotFound, Gone):
            return Actions({**base, "member": False, "signin_url": None})
    return _member_actions(request, base, found)


async def remote_event_actions(request: Request, obj: ContentObject, page: str) -> Actions:
    """Join / Leave of another server's event (at `page` here) for a signed-in member, sign-in
    for a visitor; its organisers answer on their own server."""
    base = {**_event_base(request, obj, page), "remote": True, "origin_url": obj.url or obj.uri}
    viewer = await page_member(request)
    if viewer is None:
        signin = "/signin?" + urlencode({"next": page + "#take-part"})
        return Actions({**base, "member": False, "signin_url": signin})
    async with request.app.state.db.session() as own, own.begin():
        try:
            found = await remote_standing(own, viewer.principal, obj.uri)
        except (NotFound, Gone):
            return Actions({**base, "member": False, "signin_url": None})
    return _member_actions(request, base, found)


def _member_actions(
    request: Request, base: dict[str, Any], found: participation_cases.Standing
) -> Actions:
    settings: Settings = request.app.state.settings
    csrf = Csrf(request, settings)
    return Actions({**base, "member": True, "state": found.state, "organizes": found.organizes,
                    "csrf": csrf.token}, csrf)  # fmt: skip


async def note_actions(request: Request, obj: ContentObject) -> Actions:
    """Reply for a signed-in member, Edit / Delete for who may, sign-in for a visitor."""
    settings: Settings = request.app.state.settings
    uris: NodeUris = request.app.state.uris
    token = uris.note_token(obj.uri) or ""
    base = {"token": token, "done": _done(request, POST_DONE),
            "reply_url": "/new/post?" + urlencode({"reply_to": obj.uri})}  # fmt: skip
    viewer = await page_member(request)
    if viewer is None:
        return Actions({**base, "member": False, "signin_url": _signin(obj, "")})
    async with request.app.state.db.session() as own, own.begin():
        mine = await post_cases.may_edit_post(own, uris, viewer.principal, token)
    csrf = Csrf(request, settings)
    return Actions({**base, "member": True, "mine": mine, "csrf": csrf.token}, csrf)
