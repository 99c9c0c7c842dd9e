"""Fan-out of the streaming API: whatever commits a status or a notification publishes an event
(ids only) once the transaction commits, and every API process sharing the database hears it:
on PostgreSQL through LISTEN/NOTIFY (each app its own engine and LISTEN connection), on SQLite
through the in-process broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from websockets.asyncio.client import connect

from smartnode.content.notices import notify
from smartnode.content.stream_broker import Event, broker_for
from smartnode.storage.models import ContentObject
from tests.content import add_follower
from tests.mastodon import bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.test_streaming_api import WAIT, event, node, post, token_of
from tests.mastodon.test_timelines_api import remote_post


@pytest.fixture
async def served(settings, db) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with node(settings) as found:
        yield found


async def test_a_post_through_one_app_reaches_a_socket_of_another(settings, db, anna, bo) -> None:
    token = token_of(await bearer(db, anna, "read"))
    async with node(settings) as (base_a, api_a), node(settings) as (base_b, _):
        assert base_a != base_b
        url = f"{base_b}/api/v1/streaming?stream=public&access_token={token}"
        async with connect(url) as socket:
            shown = await post(api_a, await bearer(db, bo, "write"), status="Från A")
            got = await event(socket)
            assert (got["event"], json.loads(got["payload"])["id"]) == ("update", shown["id"])


async def test_a_status_stored_by_another_engine_reaches_the_socket(served, db, anna, bo) -> None:
    """As the worker stores an inbound Create: a session of its own, committed."""
    base, _ = served
    alice = await add_follower(db, bo, ALICE)
    token = token_of(await bearer(db, anna, "read"))
    url = f"{base}/api/v1/streaming?stream=public:remote&access_token={token}"
    async with connect(url) as socket:
        row = await remote_post(db, alice.id, 7)
        got = await event(socket)
        status = json.loads(got["payload"])
        assert (got["stream"], status["id"]) == (["public:remote"], str(row.id))
        assert status["account"]["acct"] == "alice@mastodon.example"


async def test_the_broker_hears_commits_edits_and_deletions_not_rollbacks_or_counters(
    settings, db, anna
) -> None:
    broker = broker_for(settings.database_url)
    queue = await broker.subscribe()
    try:
        alice = await add_follower(db, anna, ALICE)
        async with db.session() as s, s.begin():
            s.add(_note(alice.id, 1))
            await s.flush()
            await s.rollback()  # a rollback publishes nothing
        kept = await remote_post(db, alice.id, 2)
        assert await asyncio.wait_for(queue.get(), WAIT) == Event("update", kept.id)
        async with db.session() as s, s.begin():
            assert await notify(s, anna.id, "invitation", "https://x.example/i/1", {},
                                datetime.now(UTC))  # fmt: skip
        assert await asyncio.wait_for(queue.get(), WAIT) == Event(
            "notification", anna.id, "invitation", "https://x.example/i/1"
        )
        async with db.session() as s, s.begin():
            (await s.get(ContentObject, kept.id)).likes_count = 3  # type: ignore[union-attr]
        async with db.session() as s, s.begin():
            (await s.get(ContentObject, kept.id)).content = "<p>Edited</p>"  # type: ignore[union-attr]
        assert await asyncio.wait_for(queue.get(), WAIT) == Event("status.update", kept.id)
        async with db.session() as s, s.begin():
            (await s.get(ContentObject, kept.id)).deleted_at = datetime.now(UTC)  # type: ignore[union-attr]
        assert await asyncio.wait_for(queue.get(), WAIT) == Event("delete", kept.id)
        assert queue.empty()
    finally:
        await broker.unsubscribe(queue)


def _note(author_id: int, n: int) -> ContentObject:
    now = datetime.now(UTC)
    uri = f"{ALICE}/statuses/rolled-back-{n}"
    return ContentObject(
        uri=uri, local=False, actor_id=author_id, ap_type="Note", kind="announcement",
        content="<p>Never</p>", content_map={}, url=uri, visibility="public", audience={},
        sensitive=False, attachments=[], tags=[], extra={}, published_at=now, updated_at=now,
    )  # fmt: skip
