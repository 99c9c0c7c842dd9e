"""/api/smart/v1/feeds: topic feeds (Service actors announcing matching public calls) — list and
read
for everyone, create, edit and delete for admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from smartnode.actors import feed_cases as feeds
from smartnode.actors.feed_cases import Feed
from smartnode.actors.feeds import FeedInput, FeedUpdate
from smartnode.actors.handles import handle_of
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MaybePrincipalDep
from smartnode.api.v1.schemas import errors, json_response
from smartnode.config import Settings
from smartnode.federation.uris import NodeUris

PATH = "/feeds"
router = APIRouter(prefix=PATH, tags=["feeds"], route_class=ChallengeRoute)
Slug = Annotated[str, Path(max_length=64, description="The feed's slug (its handle).")]


class FeedOut(BaseModel):
    """A topic feed: who to follow, where its RSS and Atom are, which calls it carries."""

    slug: str
    name: str
    summary: str = Field(description="The description as written (plain text).")
    handle: str = Field(examples=["@calls-music@se.smart.coop"])
    uri: str = Field(description="The Service actor's id (and page).")
    rss: str
    atom: str
    filter: dict[str, Any]
    followers: int
    created_at: datetime


class FeedList(BaseModel):
    items: list[FeedOut]


def feed_out(settings: Settings, uris: NodeUris, found: Feed) -> FeedOut:
    actor, feed, followers = found
    return FeedOut(
        slug=actor.username,
        name=actor.name,
        summary=feed.description,
        handle=handle_of(actor, settings.domain),
        uri=actor.uri,
        rss=uris.syndication(actor.username, "rss"),
        atom=uris.syndication(actor.username, "atom"),
        filter=dict(feed.filter),
        followers=followers,
        created_at=feed.created_at,
    )


@router.get("", response_model=FeedList, summary="List topic feeds", responses=errors())
async def list_feed_page(session: SessionDep, settings: SettingsDep, uris: UrisDep) -> Response:
    items = [feed_out(settings, uris, found) for found in await feeds.all_feeds(session)]
    return json_response(FeedList(items=items))


@router.get(
    "/{slug}", response_model=FeedOut, summary="Read a topic feed", responses=errors(404, 410)
)
async def read_feed(
    slug: Slug, session: SessionDep, settings: SettingsDep, uris: UrisDep
) -> Response:
    return json_response(feed_out(settings, uris, await feeds.one_feed(session, slug)))


@router.post(
    "",
    status_code=201,
    response_model=FeedOut,
    summary="Create a topic feed (admin)",
    description="Filter keys (all optional, all must match): sector, skill (ESCO URI), "
    "occupation (ESCO URI), country (ISO 3166), remote.",
    responses=errors(401, 403, 409, 422),
)
async def add_feed(
    data: FeedInput,
    principal: MaybePrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        found = await feeds.add_feed(session, settings, principal, data, datetime.now(UTC))
        out = feed_out(settings, uris, found)
    documents.clear()
    location = f"{settings.base_url}/api/smart/v1{PATH}/{out.slug}"
    return json_response(out, status_code=201, headers={"Location": location})


@router.patch(
    "/{slug}",
    response_model=FeedOut,
    summary="Edit a topic feed (admin)",
    description="Only the fields given change; a filter key given as null is cleared; the slug "
    "never changes. Followers get Update{Service}. When the filter changes, the feed undoes its "
    "boosts of calls that no longer match and announces the newest open calls that now do.",
    responses=errors(401, 403, 404, 410, 422),
)
async def change_feed(
    slug: Slug,
    data: FeedUpdate,
    principal: MaybePrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        found = await feeds.change_feed(session, uris, principal, slug, data, datetime.now(UTC))
        out = feed_out(settings, uris, found)
    documents.clear()
    return json_response(out)


@router.delete(
    "/{slug}",
    status_code=204,
    response_class=Response,
    summary="Delete a topic feed (admin)",
    description="Its followers get a Delete; it answers 410 Gone from then on.",
    responses=errors(401, 403, 404, 410),
)
async def remove_feed(
    slug: Slug,
    principal: MaybePrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        await feeds.remove_feed(session, uris, principal, slug, datetime.now(UTC))
    documents.clear()
    return Response(status_code=204)
