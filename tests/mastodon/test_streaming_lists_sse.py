"""Streaming on the wire, against a real uvicorn on 127.0.0.1: the `list` and `direct` streams
over the WebSocket, and the Server-Sent Events endpoints read with a real HTTP client
(httpx streaming): `:)` first, `event:`/`data:` lines, the `:thump` heartbeat, the token from
the Authorization header or `access_token`, Mastodon's 401 and 404 answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from smartnode.accounts.tokens import revoke_token
from smartnode.app import create_app
from tests.conftest import make_member
from tests.inbox import Fediverse
from tests.mastodon import assert_status, bearer
from tests.mastodon.test_conversations_api import assert_conversation
from tests.mastodon.test_streaming_api import WAIT, event, post, serve, settled, token_of


@asynccontextmanager
async def live(settings, **state: float) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """One API process on uvicorn (its http:// base) and a client of the same app; `state`:
    the streaming knobs (heartbeat, recheck seconds)."""
    app = create_app(settings, outbound_transport=httpx.MockTransport(Fediverse().handle))
    for name, value in state.items():
        setattr(app.state, name, value)
    async with (
        serve(app) as base,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                          base_url=settings.base_url) as api,
    ):  # fmt: skip
        yield base.replace("ws://", "http://"), api


class Events:
    """An open EventSource response: its comments and events, line by line."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def line(self) -> str:
        return await asyncio.wait_for(anext(self.lines), WAIT)

    async def next(self) -> tuple[str, str]:
        """The next event (kind, data), comments and blank lines passed over."""
        kind = ""
        while True:
            line = await self.line()
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind:
                return kind, line.removeprefix("data: ")


@asynccontextmanager
async def sse(base: str, path: str, **kwargs: Any) -> AsyncIterator[Events]:
    async with httpx.AsyncClient(base_url=base, timeout=WAIT) as client, \
            client.stream("GET", path, **kwargs) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        events = Events(response)
        assert await events.line() == ":)"  # subscribed from here on
        yield events


async def _list_of(api, headers, *members) -> str:
    made = await api.post("/api/v1/lists", json={"title": "Band"}, headers=headers)
    for member in members:
        assert (
            await api.post(f"/api/v1/accounts/{member.id}/follow", headers=headers)
        ).status_code == 200
    await api.post(f"/api/v1/lists/{made.json()['id']}/accounts", headers=headers,
                   json={"account_ids": [str(m.id) for m in members]})  # fmt: skip
    return str(made.json()["id"])


async def test_sse_user_stream_with_header_token_and_heartbeat(settings, db, anna, bo) -> None:
    async with live(settings, stream_heartbeat_seconds=0.2) as (base, api):
        anna_h = await bearer(db, anna, "read write")
        async with sse(base, "/api/v1/streaming/user", headers=anna_h) as events:
            assert await events.line() == ":thump"
            mine = await post(api, anna_h, status="Hej på er")
            kind, data = await events.next()
            assert kind == "update"
            assert_status(json.loads(data), viewer=True)
            assert json.loads(data)["id"] == mine["id"]


async def test_sse_public_and_hashtag_streams_with_the_query_token(settings, db, anna, bo) -> None:
    async with live(settings) as (base, api):
        token = token_of(await bearer(db, anna, "read:statuses"))
        bo_h = await bearer(db, bo, "write")
        async with (
            sse(base, f"/api/v1/streaming/public/local?access_token={token}") as local,
            sse(base, f"/api/v1/streaming/hashtag?tag=jazz&access_token={token}") as jazz,
        ):  # fmt: skip
            await post(api, bo_h, status="Privat", visibility="private")
            plain = await post(api, bo_h, status="Utan tagg")
            tagged = await post(api, bo_h, status="Ikväll #jazz")
            assert json.loads((await local.next())[1])["id"] == plain["id"]
            assert json.loads((await local.next())[1])["id"] == tagged["id"]
            assert json.loads((await jazz.next())[1])["id"] == tagged["id"]
            deleted = await api.delete(f"/api/v1/statuses/{plain['id']}", headers=bo_h)
            assert deleted.status_code == 200
            assert await local.next() == ("delete", plain["id"])


async def test_sse_refusals_as_mastodon_answers(settings, db, anna, bo) -> None:
    async with live(settings) as (base, _), httpx.AsyncClient(base_url=base) as client:
        missing = await client.get("/api/v1/streaming/public")
        assert missing.status_code == 401 and missing.json() == {"error": "Missing access token"}
        bad = await client.get("/api/v1/streaming/public", params={"access_token": "nope"})
        assert bad.status_code == 401 and bad.json() == {"error": "Invalid access token"}
        notes = await bearer(db, anna, "read:notifications")
        scoped = await client.get("/api/v1/streaming/public", headers=notes)
        assert scoped.status_code == 401
        assert scoped.json() == {"error": "Access token does not have the required scopes"}
        reading = await bearer(db, anna, "read")
        for path in ("/api/v1/streaming/nothing", "/api/v1/streaming/hashtag",
                     "/api/v1/streaming/list?list=12345", "/api/v1/streaming/list"):  # fmt: skip
            refused = await client.get(path, headers=reading)
            assert refused.status_code == 404, path
            assert refused.json() == {"error": "Not found"}
        bos = await bearer(db, bo, "read write")
        list_id = (await client.post("/api/v1/lists", json={"title": "B"}, headers=bos)).json()
        theirs = await client.get(f"/api/v1/streaming/list?list={list_id['id']}", headers=reading)
        assert theirs.status_code == 404


async def test_sse_list_and_direct_streams(settings, db, anna, bo) -> None:
    cleo = await make_member(db, settings, "cleo")
    async with live(settings) as (base, api):
        anna_h = await bearer(db, anna, "read write")
        bo_h, cleo_h = await bearer(db, bo, "write"), await bearer(db, cleo, "write")
        list_id = await _list_of(api, anna_h, bo, cleo)
        await api.delete(f"/api/v1/lists/{list_id}/accounts", headers=anna_h,
                         params={"account_ids[]": str(cleo.id)})  # fmt: skip
        async with (
            sse(base, f"/api/v1/streaming/list?list={list_id}", headers=anna_h) as listed,
            sse(base, "/api/v1/streaming/direct", headers=anna_h) as direct,
        ):  # fmt: skip
            await post(api, cleo_h, status="Inte på listan")
            said = await post(api, bo_h, status="@anna en hemlighet", visibility="direct")
            shown = await post(api, bo_h, status="På listan")
            kind, data = await listed.next()
            assert (kind, json.loads(data)["id"]) == ("update", shown["id"])
            kind, data = await direct.next()
            assert kind == "conversation"
            conversation = json.loads(data)
            assert_conversation(conversation)
            assert conversation["last_status"]["id"] == said["id"]
            assert conversation["unread"] is True
            assert [a["id"] for a in conversation["accounts"]] == [str(bo.id)]


async def test_sse_stream_ends_once_its_token_is_revoked(settings, db, anna) -> None:
    async with live(settings, stream_heartbeat_seconds=0.1, stream_recheck_seconds=0.2) as (
        base, _
    ):  # fmt: skip
        headers = await bearer(db, anna, "read")
        async with sse(base, "/api/v1/streaming/user", headers=headers) as events:
            async with db.session() as s, s.begin():
                assert await revoke_token(s, label="app") == 1
            with pytest.raises(StopAsyncIteration):
                while True:
                    await events.line()


async def test_websocket_list_and_direct_streams(settings, db, anna, bo) -> None:
    async with live(settings) as (base, api):
        anna_h = await bearer(db, anna, "read write")
        bo_h = await bearer(db, bo, "write")
        list_id = await _list_of(api, anna_h, bo)
        url = f"{base.replace('http://', 'ws://')}/api/v1/streaming?access_token={token_of(anna_h)}"
        async with connect(f"{url}&stream=list&list={list_id}") as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": "direct"}))
            await socket.send(json.dumps({"type": "subscribe", "stream": "list", "list": "999"}))
            assert await event(socket) == {"error": "Not authorized to stream this list"}
            await settled(socket)
            said = await post(api, bo_h, status="@anna hej", visibility="direct")
            shown = await post(api, bo_h, status="Till alla")
            got = await event(socket)
            assert (got["stream"], got["event"]) == (["direct"], "conversation")
            assert json.loads(got["payload"])["last_status"]["id"] == said["id"]
            got = await event(socket)
            assert (got["stream"], got["event"]) == (["list", list_id], "update")
            assert json.loads(got["payload"])["id"] == shown["id"]
