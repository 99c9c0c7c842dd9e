"""Answers Mastodon apps ask for again and again (verify_credentials, the home timeline) are kept
per token a few seconds and forgotten as soon as anything is written: a change made behind the
node's back (a bare SQL statement, as another program would) shows only once something is
written through the node, the time is up, or (PostgreSQL) another process publishes an event."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text, update

from smartnode.accounts.tokens import revoke_token
from smartnode.storage.models import Actor, table
from smartnode.storage.models_accounts import ApiToken
from tests.content import make_post, node_client
from tests.mastodon import bearer

VERIFY = "/api/v1/accounts/verify_credentials"
HOME = "/api/v1/timelines/home"


async def _rename_behind_the_nodes_back(db, member, name: str) -> None:
    """A bare SQL UPDATE on a connection of its own: no session of the node notes it."""
    async with db.engine.begin() as conn:
        actors = table(Actor)
        await conn.execute(update(actors).where(actors.c.id == member.id).values(name=name))


async def test_a_kept_answer_is_sent_again_until_something_is_written(
    api, db, settings, anna
) -> None:
    headers = await bearer(db, anna, "read write")
    await api.get(VERIFY, headers=headers)  # the token's first use is noted: a write
    first = await api.get(VERIFY, headers=headers)
    assert first.json()["display_name"] == "Anna Lindqvist"
    await _rename_behind_the_nodes_back(db, anna, "Anna Berg")
    kept = await api.get(VERIFY, headers=headers)
    assert (kept.status_code, kept.content) == (200, first.content)  # kept, as it was
    assert kept.headers["content-type"] == first.headers["content-type"]
    await make_post(db, settings, anna, content="Rehearsal at eight")  # written through the node
    fresh = (await api.get(VERIFY, headers=headers)).json()
    assert (fresh["display_name"], fresh["statuses_count"]) == ("Anna Berg", 1)


async def test_a_status_written_after_a_home_read_shows_at_the_next_one(
    api, db, settings, anna, bo
) -> None:
    headers = await bearer(db, anna, "read write follow")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=headers)).status_code == 200
    assert (await api.get(HOME, headers=headers)).json() == []
    assert (await api.get(HOME, headers=headers)).json() == []  # kept
    post = await make_post(db, settings, bo, content="Tickets are out")
    assert [s["id"] for s in (await api.get(HOME, headers=headers)).json()] == [str(post.id)]


async def test_a_revoked_token_is_refused_at_once(api, db, anna) -> None:
    headers = await bearer(db, anna, "read")
    assert (await api.get(VERIFY, headers=headers)).status_code == 200
    assert (await api.get(VERIFY, headers=headers)).status_code == 200  # kept
    async with db.session() as s, s.begin():
        assert await revoke_token(s, label="app") == 1
    refused = await api.get(VERIFY, headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}


async def test_each_token_gets_its_own_answer(api, db, anna, bo) -> None:
    annas, bos = await bearer(db, anna, "read"), await bearer(db, bo, "read")
    for _ in range(2):
        assert (await api.get(VERIFY, headers=annas)).json()["username"] == "anna"
        assert (await api.get(VERIFY, headers=bos)).json()["username"] == "bo"
    assert (await api.get(VERIFY)).status_code == 401  # no token: never a kept answer
    scoped = await bearer(db, anna, "write")  # the same member, a token that may not read
    assert (await api.get(VERIFY, headers=scoped)).status_code == 403


async def test_with_the_cache_off_nothing_is_kept(db, settings, world, anna) -> None:
    off = settings.model_copy(update={"document_cache_seconds": 0})
    headers = await bearer(db, anna, "read")
    async with node_client(off, world) as client:
        assert (await client.get(VERIFY, headers=headers)).status_code == 200
        await _rename_behind_the_nodes_back(db, anna, "Anna Berg")
        assert (await client.get(VERIFY, headers=headers)).json()["display_name"] == "Anna Berg"


async def test_on_postgresql_another_processes_event_forgets_the_answers(
    api, db, settings, anna
) -> None:
    headers = await bearer(db, anna, "read")
    await api.get(VERIFY, headers=headers)  # the token's first use is noted: a write
    await api.get(VERIFY, headers=headers)
    await _rename_behind_the_nodes_back(db, anna, "Anna Berg")
    assert (await api.get(VERIFY, headers=headers)).json()["display_name"] == "Anna Lindqvist"
    bus = api.app.state.cache_bus
    if settings.is_sqlite:
        assert bus is None  # one process: every write is in it
        return
    await _until(lambda: bus.server_pid is not None)
    heard = bus.heard_stream
    event = '[["update", 1, "", ""]]'  # what the worker process publishes for a status
    async with db.engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify('smartnode_stream', :event)"), {"event": event})
    await _until(lambda: bus.heard_stream > heard)
    assert (await api.get(VERIFY, headers=headers)).json()["display_name"] == "Anna Berg"


async def test_on_postgresql_a_token_revoked_with_the_cli_tells_the_api_processes(
    api, db, settings, anna, smartnode
) -> None:
    headers = await bearer(db, anna, "read")
    assert (await api.get(VERIFY, headers=headers)).status_code == 200
    async with db.session() as s:
        token_id = await s.scalar(select(ApiToken.id).where(ApiToken.label == "app"))
    bus = api.app.state.cache_bus
    if settings.is_sqlite:
        assert bus is None
        return
    await _until(lambda: bus.server_pid is not None)
    heard = bus.heard
    done = await asyncio.to_thread(smartnode, "token", "revoke", str(token_id))
    assert done.exit_code == 0, done.output
    await _until(lambda: bus.heard > heard)  # the CLI's notice reached this process
    assert (await api.get(VERIFY, headers=headers)).status_code == 401


async def _until(check) -> None:
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("never happened")
