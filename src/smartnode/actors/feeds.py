"""Topic feeds: local Service actors (kind "feed") that Announce the public calls matching a
filter (sector, skill, occupation, country, remote). Services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartnode.actors.collections import Source
from smartnode.actors.inputs import CountryCode
from smartnode.actors.names import MAX_SLUG, check_username
from smartnode.actors.records import get_local_actor, new_local_actor
from smartnode.actors.to_ap import actor_base
from smartnode.config import Settings
from smartnode.errors import ValidationFailed
from smartnode.federation.sanitize import escape_text
from smartnode.federation.uris import ActorKind, NodeUris
from smartnode.matching.inputs import EscoUri
from smartnode.storage.models import Activity, Actor
from smartnode.storage.models_work import TopicFeed

#: Suffixes served as RSS / Atom / iCalendar at /feeds/{slug}.rss, .atom, .ics: never in a slug.
SYNDICATION_SUFFIXES = (".rss", ".atom", ".ics")
FILTER_KEYS = ("sector", "skill", "occupation", "country", "remote")


def _sector(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not value or len(value) > 60:
        raise ValueError("a sector name of 1 to 60 characters, like 'music'")
    return value


class FeedFilter(BaseModel):
    """Which calls a feed carries: every given key must match (an empty filter: all calls)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sector: Annotated[str, AfterValidator(_sector)] | None = Field(
        default=None, description="A sector, as projects and hashtags name it: 'music'."
    )
    skill: EscoUri | None = Field(default=None, description="An ESCO skill URI the call asks for.")
    occupation: EscoUri | None = Field(
        default=None, description="The ESCO occupation URI of the call."
    )
    country: CountryCode | None = Field(
        default=None, description="ISO 3166 country of the work: 'BE'."
    )
    remote: bool | None = Field(default=None, description="true: remote calls only; false: none.")

    def stored(self) -> dict[str, Any]:
        """The filter as kept in topic_feeds.filter (unset keys left out)."""
        return self.model_dump(exclude_none=True)


class FeedInput(FeedFilter):
    """A new topic feed: its slug (the handle), display name, optional description, filter."""

    slug: str = Field(description="ASCII handle: calls-music → @calls-music@node.")
    name: str = Field(min_length=1, max_length=100)
    summary: str = Field(default="", max_length=1000, description="Plain text.")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        slug = check_username(value, max_length=MAX_SLUG, what="slug")
        if slug.endswith(SYNDICATION_SUFFIXES):
            raise ValidationFailed(f"slug {slug!r} must not end in .rss, .atom or .ics")
        return slug

    def feed_filter(self) -> FeedFilter:
        return FeedFilter.model_validate(self.model_dump(include=set(FILTER_KEYS)))


class FeedUpdate(FeedFilter):
    """An edit of a feed: only the fields given change; a filter key given as null is cleared.
    The slug (the handle) never changes."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    summary: str | None = Field(default=None, max_length=1000, description="Plain text.")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")

    def edited_filter(self, current: dict[str, Any]) -> dict[str, Any]:
        """The filter after this edit, validated again."""
        given = {key: getattr(self, key) for key in FILTER_KEYS if key in self.model_fields_set}
        merged = {key: value for key, value in {**current, **given}.items() if value is not None}
        return FeedFilter.model_validate(merged).stored()


def describe(filter_: dict[str, Any]) -> str:
    """The filter in words (plain text): 'Open calls in music, in BE, remote'."""
    parts = []
    if filter_.get("sector"):
        parts.append(f"in {filter_['sector']}")
    if filter_.get("occupation"):
        parts.append(f"for the occupation {filter_['occupation']}")
    if filter_.get("skill"):
        parts.append(f"asking for the skill {filter_['skill']}")
    if filter_.get("country"):
        parts.append(f"with work in {filter_['country']}")
    if filter_.get("remote") is True:
        parts.append("that can be done remotely")
    elif filter_.get("remote") is False:
        parts.append("on site (not remote)")
    return " ".join(["Public open calls", *parts]) + "."


def _summary_html(summary: str, filter_: dict[str, Any]) -> str:
    lines = [summary.strip(), describe(filter_)] if summary.strip() else [describe(filter_)]
    return "".join(f"<p>{escape_text(line)}</p>" for line in lines)


async def create_feed(
    session: AsyncSession, settings: Settings, data: FeedInput, now: datetime
) -> tuple[Actor, TopicFeed]:
    """A new feed actor (Service, own key) and its filter row; Conflict if the slug is taken."""
    filter_ = data.feed_filter().stored()
    actor = await new_local_actor(
        session, settings, kind=ActorKind.FEED, username=data.slug, name=data.name,
        summary=_summary_html(data.summary, filter_), summary_map={}, language=data.language,
        now=now,
    )  # fmt: skip
    actor.discoverable = True  # feeds exist to be found and followed
    actor.indexable = True
    actor.manually_approves_followers = False
    feed = TopicFeed(
        actor_id=actor.id, filter=filter_, description=data.summary.strip(), created_at=now
    )
    session.add(feed)
    await session.flush()
    return actor, feed


async def edit_feed(
    session: AsyncSession, slug: str, data: FeedUpdate, now: datetime
) -> tuple[Actor, TopicFeed, bool]:
    """Change a feed's name, description, language or filter; True when the filter changed."""
    actor, feed = await get_feed(session, slug)
    for field in ("name", "summary", "language"):
        if field in data.model_fields_set and getattr(data, field) is None:
            raise ValidationFailed(f"{field}: may be changed but not removed")
    if data.name is not None:
        actor.name = data.name
    if data.language is not None:
        actor.language = data.language
    if data.summary is not None:
        feed.description = data.summary.strip()
    filter_ = data.edited_filter(dict(feed.filter))
    changed = filter_ != feed.filter
    feed.filter = filter_
    actor.summary = _summary_html(feed.description, filter_)
    actor.updated_at = now
    await session.flush()
    return actor, feed, changed


async def get_feed(session: AsyncSession, slug: str) -> tuple[Actor, TopicFeed]:
    """A live feed and its filter (NotFound / Gone otherwise)."""
    actor = await get_local_actor(session, ActorKind.FEED, slug)
    feed = await session.get(TopicFeed, actor.id)
    if feed is None:
        raise RuntimeError(f"feed {slug} has no topic_feeds row")
    return actor, feed


async def live_feeds(session: AsyncSession) -> Sequence[tuple[Actor, TopicFeed]]:
    """Every live feed with its filter, oldest first (a node has a handful)."""
    rows = await session.execute(
        select(Actor, TopicFeed)
        .join(TopicFeed, TopicFeed.actor_id == Actor.id)
        .where(Actor.local.is_(True), Actor.kind == ActorKind.FEED.value)
        .where(Actor.deleted_at.is_(None))
        .order_by(Actor.id)
    )
    return [(a, f) for a, f in rows.all()]


async def delete_feed(session: AsyncSession, slug: str, now: datetime) -> Actor:
    """Mark a feed deleted: 410 + Tombstone from now on; the slug is not reused."""
    actor, _feed = await get_feed(session, slug)
    actor.deleted_at = now
    actor.updated_at = now
    await session.flush()
    return actor


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def feed_to_ap(actor: Actor, feed: TopicFeed, uris: NodeUris) -> dict[str, Any]:
    """A feed as a Service: the filter in words (summary) and as PropertyValue fields."""
    doc = actor_base(actor, uris)
    doc["attachment"] = [
        {"type": "PropertyValue", "name": key.title(), "value": escape_text(_shown(value))}
        for key, value in feed.filter.items()
        if key in FILTER_KEYS
    ]
    del doc["featured"]
    return doc


def feed_outbox_source(actor_id: int) -> Source:
    """A feed's outbox: its public Announces not undone since, newest first."""
    undo = aliased(Activity)
    undone = select(undo.object_uri).where(
        undo.actor_id == actor_id, undo.activity_type == "Undo", undo.object_uri.is_not(None)
    )
    query = select(Activity.id, Activity.uri).where(
        Activity.actor_id == actor_id,
        Activity.public.is_(True),
        Activity.activity_type == "Announce",
        Activity.uri.not_in(undone),
    )
    return Source(query, Activity.id)
