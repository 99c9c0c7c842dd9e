"""Documents we fetch obey the inbox's @context rule: the fetcher refuses a document whose
inline context changes what we read, and the resolver stores nothing from it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from smartnode.federation.fetch import BadDocument
from smartnode.storage.models import Actor
from tests.inbox import AS, Fediverse, inbox_context

BOB = "https://remote.example/users/bob"


def _serve_bob(context: Any) -> Fediverse:
    world = Fediverse()
    world.actor(BOB)
    status, doc, media = world.documents[BOB]
    world.documents[BOB] = (status, {**doc, "@context": context}, media)
    return world


@pytest.mark.parametrize(
    "context",
    [
        [AS, {"inbox": "https://evil.example/ns#inbox"}],
        [AS, {"@type": "@id"}],
        [AS, {"publicKey": {"@id": "https://evil.example/ns#key", "@type": "@id"}}],
    ],
    ids=["AS term inbox", "keyword key", "security term publicKey"],
)
async def test_a_fetched_actor_whose_context_changes_a_term_is_refused(
    db, settings, context
) -> None:
    world = _serve_bob(context)
    async with world.fetcher(settings) as fetcher:
        with pytest.raises(BadDocument, match="context"):
            await fetcher.fetch_json(BOB)
    async with inbox_context(db, settings, world) as ctx:
        assert await ctx.resolver.actor(BOB) is None
    async with db.session() as s:
        assert await s.scalar(select(Actor).where(Actor.uri == BOB)) is None


async def test_a_fetched_actor_with_a_mastodon_context_is_stored(db, settings) -> None:
    mastodon = {
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
    }
    context = [AS, "https://w3id.org/security/v1", mastodon]
    world = _serve_bob(context)
    async with inbox_context(db, settings, world) as ctx:
        stored = await ctx.resolver.actor(BOB)
    assert stored is not None and stored.uri == BOB
