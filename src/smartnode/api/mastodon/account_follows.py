"""Mastodon's follows: follow and unfollow an account, and the member's follow requests (list,
authorize, reject), through the follow use cases the native API uses (actors/follow_cases.py):
the Follow, Undo, Accept and Reject go out through the outbox in the transaction of the change.
Each answers the Relationship as it is now (a remote follow is `requested` until accepted).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors import account_views as views
from smartnode.actors import follow_cases as follows
from smartnode.actors.acting import READ_FOLLOWS, WRITE_FOLLOWS
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep, request_resolver
from smartnode.api.mastodon.accounts import account_id
from smartnode.api.mastodon.auth import Caller, MastodonRoute, error, member_of
from smartnode.api.mastodon.entities import Renderer, relationship_entity
from smartnode.api.mastodon.pagination import WindowDep, link_headers
from smartnode.federation.fetch import FetchError
from smartnode.federation.uris import NodeUris

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)


async def _relationship(session: AsyncSession, member_id: int, target_id: int) -> JSONResponse:
    [found] = await views.relationships(session, member_id, [target_id])
    return JSONResponse(relationship_entity(found))


@router.post("/accounts/{account}/follow")
async def follow(
    account: str, request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    documents: DocumentsDep,
) -> JSONResponse:  # fmt: skip
    for attempt in (1, 2):
        try:
            async with session.begin():
                member = await member_of(session, principal, WRITE_FOLLOWS)
                target = await views.account_by_id(session, account_id(account))
                moment = datetime.now(UTC)
                resolver = request_resolver(request, session, moment)
                await follows.follow_as(session, uris, principal, member.username, target.uri,
                                        resolver, moment)  # fmt: skip
            break
        except IntegrityError:  # the same follow committed at the same instant: it exists now
            if attempt == 2:
                raise
        except FetchError as exc:
            return error(f"the account's server failed: {exc.message}", 502)
    documents.clear()
    return await _relationship(session, member.id, target.id)


@router.post("/accounts/{account}/unfollow")
async def unfollow(
    account: str, request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    documents: DocumentsDep,
) -> JSONResponse:  # fmt: skip
    member_id = target_id = None
    try:
        async with session.begin():
            member = await member_of(session, principal, WRITE_FOLLOWS)
            target = await views.account_by_id(session, account_id(account))
            member_id, target_id = member.id, target.id
            moment = datetime.now(UTC)
            resolver = request_resolver(request, session, moment)
            await follows.unfollow_as(session, uris, principal, member.username, target.uri,
                                      resolver, moment)  # fmt: skip
    except follows.NotFollowing:
        pass  # Mastodon answers the relationship as it is: not following
    except FetchError as exc:
        return error(f"the account's server failed: {exc.message}", 502)
    assert member_id is not None and target_id is not None  # set before anything could fail
    documents.clear()
    return await _relationship(session, member_id, target_id)


@router.get("/follow_requests")
async def follow_requests(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    settings: SettingsDep, window: WindowDep,
) -> JSONResponse:  # fmt: skip
    member = await member_of(session, principal, READ_FOLLOWS)
    rows = await views.relation_window(session, principal, member, "requests", window)
    accounts = await Renderer(session, uris).accounts([other for _, other in rows])
    links = link_headers(request, settings.base_url, [i for i, _ in rows], window.limit)
    return JSONResponse([accounts[other.id] for _, other in rows], headers=links)


async def _answer(
    account: str, accept: bool, principal: Caller, session: AsyncSession, uris: NodeUris
) -> JSONResponse:
    async with session.begin():
        member = await member_of(session, principal, WRITE_FOLLOWS)
        follower = await views.account_by_id(session, account_id(account))
        await follows.answer_follow_request(session, uris, principal, member.username,
                                            follower.uri, accept, datetime.now(UTC))  # fmt: skip
    return await _relationship(session, member.id, follower.id)


@router.post("/follow_requests/{account}/authorize")
async def authorize(
    account: str, principal: Caller, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> JSONResponse:
    answer = await _answer(account, True, principal, session, uris)
    documents.clear()
    return answer


@router.post("/follow_requests/{account}/reject")
async def reject(
    account: str, principal: Caller, session: SessionDep, uris: UrisDep, documents: DocumentsDep
) -> JSONResponse:
    answer = await _answer(account, False, principal, session, uris)
    documents.clear()
    return answer
