"""/api/smart/v1/actors/{slug}/calls, /api/smart/v1/calls/{id} and /api/smart/v1/board: open calls.

Writes need a coordinator of the project (a member token, an app granted `write:calls`, or an
admin token with `?as=username`), and an admin may delete any call (content/call_cases.py
decides); each write and its Create/Update/Delete (and the node's Announce) go out through the
transactional outbox in one transaction. Reads are public: public and unlisted calls of a
project, and the board of open public calls from this node and every node we hear from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Response

from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, PrincipalDep
from smartnode.api.v1.calls_schemas import CallOut, CallPage, call_errors, call_out
from smartnode.api.v1.schemas import After, Limit, json_response, next_url, parse_cursor
from smartnode.content import call_cases as calls
from smartnode.content.board import NEWEST, BoardFilter, BoardSort, Position, cursor_in, cursor_out
from smartnode.content.call_cases import CallView
from smartnode.content.call_terms import CLOSED, FILLED, OPEN
from smartnode.content.calls_inputs import CallInput, CallUpdate
from smartnode.federation.uris import NodeUris

router = APIRouter(tags=["calls"], route_class=ChallengeRoute)

Slug = Annotated[str, Path(max_length=64, description="The project's slug.")]
Token = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$", description="The call's `id`.")]


def _out(view: CallView, uris: NodeUris) -> CallOut:
    return call_out(view.obj, view.author, uris)


@router.post(
    "/actors/{slug}/calls",
    status_code=201,
    response_model=CallOut,
    summary="Publish an open call (coordinator)",
    description="An open call by the project, published by one of its coordinators. Sends "
    "Create to the project's followers; a public call is also announced by the node actor to "
    "the peer nodes and pinned in the project's `featured` collection while open.",
    responses=call_errors(401, 403, 404, 410),
)
async def add_call(
    slug: Slug,
    data: CallInput,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        view = await calls.publish_call(session, uris, principal, slug, data, datetime.now(UTC))
        out = _out(view, uris)
    documents.clear()
    location = {"Location": f"{settings.base_url}/api/smart/v1/calls/{out.id}"}
    return json_response(out, status_code=201, headers=location)


@router.get(
    "/actors/{slug}/calls",
    response_model=CallPage,
    summary="List a project's calls",
    description="Public and unlisted calls of a project (open, closed and filled), newest "
    "first. Public.",
    responses=call_errors(404, 410),
)
async def list_calls(
    slug: Slug,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    _project, rows = await calls.list_calls(
        session, slug, limit=limit + 1, before_id=parse_cursor(after)
    )
    shown = rows[:limit]
    last_id = shown[-1].obj.id if len(rows) > limit else None
    page = CallPage(
        items=[_out(view, uris) for view in shown],
        next=next_url(settings.base_url, f"/api/smart/v1/actors/{slug}/calls", limit=limit,
                      last_id=last_id),
    )  # fmt: skip
    return json_response(page)


@router.get(
    "/board",
    response_model=CallPage,
    summary="The call board",
    description="Open public calls from this node and from every other node we hear from "
    "(deadline not passed). `sort`: `newest` (published time, newest first) or `closing` "
    "(soonest deadline first, calls without one last). Filters: `country` (ISO code), "
    "`remote`, `skill` (ESCO URI, also matches the occupation), `language`, `q` (every word in "
    "the call's text, case and accents ignored). Public.",
    responses=call_errors(),
)
async def board(
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    remote: bool | None = None,
    skill: Annotated[str | None, Query(max_length=300)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    sort: Annotated[BoardSort, Query(description="newest | closing")] = NEWEST,
    limit: Limit = 20,
    after: After = None,
) -> Response:
    wanted = BoardFilter(country=country, remote=remote, skill=skill, language=language, q=q)
    found = await calls.board(
        session, wanted, datetime.now(UTC), limit=limit, after=cursor_in(sort, after), sort=sort
    )
    page = CallPage(
        items=[_out(view, uris) for view in found.calls],
        next=_board_next(settings.base_url, wanted, sort, limit, found.position),
    )
    return json_response(page)


def _board_next(
    base_url: str, wanted: BoardFilter, sort: str, limit: int, last: Position | None
) -> str | None:
    """The next page's URL, with the same filters and order."""
    if last is None:
        return None
    params = {key: getattr(wanted, key) for key in ("country", "remote", "skill", "language", "q")}
    shown = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in params.items()
        if v is not None
    }
    query = {**shown, "sort": sort, "limit": limit, "after": cursor_out(sort, last)}
    return f"{base_url}/api/smart/v1/board?{urlencode(query)}"


@router.get(
    "/calls/{token}",
    response_model=CallOut,
    summary="Read a call",
    description="One of our calls, public or unlisted. Public.",
    responses=call_errors(404, 410),
)
async def read_call(token: Token, session: SessionDep, uris: UrisDep) -> Response:
    return json_response(_out(await calls.read_call(session, uris, token), uris))


@router.patch(
    "/calls/{token}",
    response_model=CallOut,
    summary="Edit a call (coordinator)",
    description="Only the fields given change (`null` clears `paid`, `place`, `closes_at`, "
    "dates, `occupation`); sends Update to the call's audience and the peer nodes. Raising "
    "`positions` of a filled call above the places taken re-opens it.",
    responses=call_errors(401, 403, 404, 410),
)
async def change_call(
    token: Token,
    data: CallUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        view = await calls.change_call(session, uris, principal, token, data, datetime.now(UTC))
        out = _out(view, uris)
    documents.clear()
    return json_response(out)


async def _set_state(
    token: str, state: str, principal: PrincipalDep, session: SessionDep, uris: NodeUris,
    documents: DocumentsDep,
) -> Response:  # fmt: skip
    async with session.begin():
        moment = datetime.now(UTC)
        view = await calls.change_call_state(session, uris, principal, token, state, moment)
        out = _out(view, uris)
    documents.clear()
    return json_response(out)


@router.post(
    "/calls/{token}/close",
    response_model=CallOut,
    summary="Close a call (coordinator)",
    description="No more applications: state `closed`, unpinned, off the boards; sends Update.",
    responses=call_errors(401, 403, 404, 409, 410),
)
async def close_call(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    return await _set_state(token, CLOSED, principal, session, uris, documents)


@router.post(
    "/calls/{token}/fill",
    response_model=CallOut,
    summary="Mark a call filled (coordinator)",
    description="Every position is taken: state `filled`, unpinned, off the boards; sends Update. "
    "Accepting the application that takes the last position fills the call the same way.",
    responses=call_errors(401, 403, 404, 409, 410),
)
async def fill_call(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    return await _set_state(token, FILLED, principal, session, uris, documents)


@router.post(
    "/calls/{token}/reopen",
    response_model=CallOut,
    summary="Re-open a closed or filled call (coordinator)",
    description="State `open` again (e.g. an accepted applicant withdrew): sends Update, the "
    "node actor announces it and the project pins it again, the matching topic feeds boost it "
    "again. 409 when it is open already or its deadline has passed (edit `closes_at` first).",
    responses=call_errors(401, 403, 404, 409, 410),
)
async def reopen_call(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    return await _set_state(token, OPEN, principal, session, uris, documents)


@router.delete(
    "/calls/{token}",
    status_code=204,
    response_class=Response,
    summary="Delete a call (coordinator)",
    description="The call answers 410 with a Tombstone from then on; sends Delete to its "
    "audience and the peer nodes. By a coordinator of the project, or an admin.",
    responses=call_errors(401, 403, 404, 410),
)
async def remove_call(
    token: Token,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await calls.remove_call(session, uris, principal, token, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
