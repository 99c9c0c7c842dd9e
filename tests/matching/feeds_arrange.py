"""Arranging topic-feed tests: feeds through the real service, calls stored as the calls
service stores them (terms in extra["call"]), remote followers as stored actor rows."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from smartnode.actors.feeds import FeedInput, create_feed
from smartnode.federation.sanitize import escape_text
from smartnode.matching.notify import enqueue_call_matching
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_work import TopicFeed
from tests.inbox import PEM

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ESCO = "http://data.europa.eu/esco/"
MIXING = f"{ESCO}skill/16ac3d37-dd72-40c3-863d-dab1ded961be"
SOUND_DESIGNER = f"{ESCO}occupation/790c8dca-f624-4bdc-ac16-27bc13ead188"


async def feed(db: Any, settings: Any, slug: str, **filter_: Any) -> tuple[Actor, TopicFeed]:
    """A committed feed made through the real service."""
    data = FeedInput.model_validate({"slug": slug, "name": f"Calls: {slug}", **filter_})
    async with db.session() as s, s.begin():
        return await create_feed(s, settings, data, NOW)


def _tags(hashtags: list[str], skills: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"type": "Hashtag", "href": f"https://se.smart.test/tags/{h}", "name": f"#{h}"}
        for h in hashtags
    ]
    found += [{"type": "DefinedTerm", "id": s, "url": s, "name": "mixing"} for s in skills]
    return found


async def call(
    db: Any,
    author: Actor,
    *,
    title: str = "Sound designer for Malmö Opera",
    local: bool = True,
    hashtags: tuple[str, ...] = ("Music",),
    state: str = "open",
    visibility: str = "public",
    enqueue: bool = True,
    closes_at: datetime | None = NOW + timedelta(days=20),
    published_at: datetime = NOW,
    **terms: Any,
) -> ContentObject:
    """A call row (ours or a remote one) and, as the services do, its job scheduled."""
    token = secrets.token_hex(8)
    base = "https://se.smart.test/calls" if local else "https://be.smart.example/calls"
    skills = [s["uri"] for s in terms.get("skills", [])]
    obj = ContentObject(
        uri=f"{base}/{token}", local=local, actor_id=author.id,
        project_id=author.id if local else None, ap_type="Note", kind="call", state=state,
        name=title, content=f"<p><strong>{escape_text(title)}</strong></p><p>Mix the première.</p>",
        url=f"{base}/{token}", visibility=visibility, audience={},
        tags=_tags(list(hashtags), skills), extra={"call": {"title": title, **terms}},
        closes_at=closes_at, published_at=published_at, updated_at=published_at, language="en",
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(obj)
        await s.flush()
        if enqueue:
            enqueue_call_matching(s, obj, NOW)
    return obj


async def remote_actor(db: Any, uri: str, inbox: str, kind: str = "Person") -> Actor:
    """A remote actor as the resolver stores it."""
    host = uri.split("/")[2]
    actor = Actor(
        uri=uri, local=False, kind="remote", ap_type=kind, username=uri.rsplit("/", 1)[-1],
        domain=host, name="Remote", inbox_uri=inbox, public_key_pem=PEM,
        key_id=f"{uri}#main-key", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(actor)
    return actor


async def follower(db: Any, followed: Actor, uri: str, inbox: str) -> Actor:
    """A remote actor whose Follow of `followed` was accepted."""
    actor = await remote_actor(db, uri, inbox)
    async with db.session() as s, s.begin():
        s.add(Follow(uri=f"{uri}#follow/{followed.id}", follower_id=actor.id,
                     followed_id=followed.id, state="accepted", created_at=NOW))  # fmt: skip
    return actor
