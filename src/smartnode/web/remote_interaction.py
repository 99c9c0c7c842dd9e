"""Remote interaction, both ways. /interact sends a visitor to their own server's
remote-interaction page (the `http://ostatus.org/schema/1.0/subscribe` template their
WebFinger advertises) for one of our objects. /authorize_interaction?uri= (the template ours
advertises) resolves a call, post or actor of any server for a signed-in member and offers
its action: Apply for a call, Follow for an actor or a post's author. Every fetch goes through
the node's safe Fetcher, outside any transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from smartnode.actors import follow_cases as follows
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.content.calls import call_by_uri
from smartnode.content.compose import excerpt
from smartnode.errors import BadRequest, SmartnodeError
from smartnode.federation.fetch import FetchBudget, FetchError
from smartnode.federation.uris import NodeUris
from smartnode.federation.webfinger import SUBSCRIBE_REL
from smartnode.federation.webfinger_client import parse_handle, webfinger_url
from smartnode.web.account_pages import render_framed, see_other
from smartnode.web.apply_pages import frame_of, inbox_context, to_signin
from smartnode.web.forms import check_form
from smartnode.web.i18n import N_
from smartnode.web.pages import render
from smartnode.web.viewer import viewer_of

router = APIRouter(include_in_schema=False)
Uri = Annotated[str, Query(max_length=2000)]
ACTOR_TYPES = ("Person", "Group", "Organization", "Service", "Application")
FETCHES = 4


def _https(url: str, scheme: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", scheme) and bool(parts.netloc) and "\\" not in url


def subscribe_url(jrd: dict[str, Any], uri: str, scheme: str = "https") -> str | None:
    """Where the remote server lets its user interact with `uri` (its subscribe template
    filled in), when it advertises one on https (pure)."""
    for link in jrd.get("links") or []:
        found = link.get("template") if isinstance(link, dict) else None
        template = found if isinstance(found, str) and link.get("rel") == SUBSCRIBE_REL else ""
        if "{uri}" in template and _https(template, scheme):
            return template.replace("{uri}", quote(uri, safe=""))
    return None


def _interact_page(request: Request, uri: str, handle: str, status: int, error: str) -> Response:
    return render(request, "interact.html", status_code=status, uri=uri, handle=handle,
                  error=error, noindex=True)  # fmt: skip


@router.get("/interact")
async def interact(request: Request, uri: Uri = "", handle: Uri = "") -> Response:
    """Send a visitor to their own server to act on one of our objects."""
    uris: NodeUris = request.app.state.uris
    if not uri or not uris.is_local(uri):
        return _interact_page(request, "", handle, 400, N_("This is not an address on this node."))
    scheme = urlsplit(uris.base_url).scheme
    try:
        asked = parse_handle(handle)
        jrd = await request.app.state.fetcher.fetch_jrd(webfinger_url(asked, scheme))
    except BadRequest:
        return _interact_page(request, uri, handle, 422,
                              N_("Write your address as @name@your.server."))  # fmt: skip
    except FetchError:
        return _interact_page(request, uri, handle, 502, N_("Your server could not be reached."))
    target = subscribe_url(jrd.data, uri, scheme) if isinstance(jrd.data, dict) else None
    if target is None:
        return _interact_page(request, uri, handle, 422,
                              N_("Your server does not offer remote interaction."))  # fmt: skip
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


async def _fetched(request: Request, uri: str) -> dict[str, Any]:
    signer: httpx.Auth = request.app.state.node_signer
    found = await request.app.state.fetcher.fetch_json(uri, signer=signer,
                                                        budget=FetchBudget(FETCHES))  # fmt: skip
    return found.data if isinstance(found.data, dict) else {}


def _is_call(document: dict[str, Any]) -> bool:
    return document.get("type") == "Note" and "publishes" in document and "purpose" in document


def _shown(document: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a remote object: plain text only (never its markup)."""
    kind = str(document.get("type", ""))
    author = document.get("attributedTo")
    text = document.get("name") or document.get("preferredUsername") or ""
    return {
        "actor": kind in ACTOR_TYPES,
        "title": excerpt(str(text), 200) if isinstance(text, str) else "",
        "text": excerpt(str(document.get("content") or document.get("summary") or ""), 500),
        "url": document.get("id") if isinstance(document.get("id"), str) else "",
        "follow": document.get("id")
        if kind in ACTOR_TYPES
        else (author if isinstance(author, str) else None),
    }


@router.get("/authorize_interaction")
async def authorize_interaction(
    request: Request, session: SessionDep, settings: SettingsDep, uri: Uri = ""
) -> Response:
    """A call, post or actor of any server, with its action, for a signed-in member."""
    viewer = await viewer_of(request, session, settings)
    if viewer is None:
        return to_signin("/authorize_interaction?" + urlencode({"uri": uri}))
    frame = frame_of(request, viewer)
    uris: NodeUris = request.app.state.uris
    if not _https(uri, urlsplit(uris.base_url).scheme):
        refused = N_("This is not an address one can interact with.")
        return render_framed(request, "interaction.html", frame, status_code=400,
                             refused=refused)  # fmt: skip
    if uris.is_local(uri):
        async with session.begin():
            call = await call_by_uri(session, uri)
        return see_other(f"/apply?{urlencode({'uri': uri})}" if call else urlsplit(uri).path)
    try:
        document = await _fetched(request, uri)
    except FetchError:
        return render_framed(request, "interaction.html", frame, status_code=502,
                             refused=N_("That server could not be reached."))  # fmt: skip
    if _is_call(document):
        return see_other(f"/apply?{urlencode({'uri': uri})}")
    shown = _shown(document)
    if not shown["url"]:
        return render_framed(request, "interaction.html", frame, status_code=404,
                             refused=N_("Nothing could be found at that address."))  # fmt: skip
    return render_framed(request, "interaction.html", frame, item=shown,
                         done=request.query_params.get("done") == "follow")  # fmt: skip


@router.post("/authorize_interaction/follow")
async def follow(
    request: Request, session: SessionDep, settings: SettingsDep,
    target: Annotated[str, Form(max_length=2000)] = "",
    uri: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """The signed-in member follows the actor (through the follow use case)."""
    check_form(request, settings, await request.form())
    viewer = await viewer_of(request, session, settings)
    back = "/authorize_interaction?" + urlencode({"uri": uri})
    if viewer is None:
        return to_signin(back)
    frame = frame_of(request, viewer)
    try:
        async with session.begin():
            ctx = inbox_context(request, session, datetime.now(UTC))
            await follows.follow_as(session, ctx.uris, viewer.principal, viewer.actor.username,
                                    target, ctx.resolver, ctx.now)  # fmt: skip
    except (SmartnodeError, FetchError):
        return render_framed(request, "interaction.html", frame, status_code=422,
                             refused=N_("That account could not be followed."))  # fmt: skip
    return see_other(back + "&done=follow")
