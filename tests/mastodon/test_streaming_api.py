"""/api/v1/streaming on the wire: a real uvicorn on 127.0.0.1 and the `websockets` client, as a
Mastodon app connects (token in the query, the subprotocol or the Authorization header), the
streams it subscribes to and the events it receives (payloads are JSON strings)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from smartnode.accounts.tokens import revoke_token
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.models import ContentObject
from smartnode.storage.models_work import Notification
from tests.conftest import make_member, make_project
from tests.inbox import Fediverse
from tests.mastodon import assert_status, bearer
from tests.servers import HOST, free_port

WAIT = 20  # seconds a test waits for an event before it fails


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """The app on a real uvicorn server on 127.0.0.1; its ws:// base."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield f"ws://{HOST}:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def node(
    settings: Settings, *, recheck_seconds: float | None = None
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """One API process: its ws:// base, and a client calling the same app (its lifespan is
    uvicorn's); `recheck_seconds`: how often open sockets check their token again."""
    app = create_app(settings, outbound_transport=httpx.MockTransport(Fediverse().handle))
    if recheck_seconds is not None:
        app.state.stream_recheck_seconds = recheck_seconds
    async with (
        serve(app) as base,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                          base_url=settings.base_url) as api,
    ):  # fmt: skip
        yield base, api


@pytest.fixture
async def served(settings, db) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with node(settings) as found:
        yield found


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def event(socket: ClientConnection) -> dict[str, Any]:
    """The next message of the socket (JSON)."""
    found: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
    return found


async def settled(socket: ClientConnection) -> None:
    """Wait until the server has read every message sent before: an unknown stream is answered
    with an error, after the messages ahead of it."""
    await socket.send(json.dumps({"type": "subscribe", "stream": "nothing"}))
    assert await event(socket) == {"error": "Unknown stream type"}


async def post(api: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/statuses", json=body, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_health_answers_ok(served) -> None:
    _, api = served
    response = await api.get("/api/v1/streaming/health")
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["content-type"].startswith("text/plain")


async def test_a_socket_without_a_valid_token_is_refused_401(served, db, anna) -> None:
    base, _ = served
    for url, words in ((f"{base}/api/v1/streaming?stream=user", "Missing access token"),
                       (f"{base}/api/v1/streaming?stream=public&access_token=nope",
                        "Invalid access token")):  # fmt: skip
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body or b"{}") == {"error": words}


async def test_the_user_stream_carries_the_home_timeline(served, db, anna, bo) -> None:
    base, api = served
    anna_h, bo_h = await bearer(db, anna, "read write"), await bearer(db, bo, "read write")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=anna_h)).status_code == 200
    url = f"{base}/api/v1/streaming?stream=user&access_token={token_of(anna_h)}"
    async with connect(url) as socket:
        from_bo = await post(api, bo_h, status="Hej från Bo", visibility="private")
        got = await event(socket)
        assert (got["stream"], got["event"]) == (["user"], "update")
        assert isinstance(got["payload"], str)  # a JSON string, as Mastodon sends it
        status = json.loads(got["payload"])
        assert_status(status, viewer=True)
        assert (status["id"], status["visibility"]) == (from_bo["id"], "private")
        assert status["account"]["acct"] == "bo"
        mine = await post(api, anna_h, status="Min egen")
        assert json.loads((await event(socket))["payload"])["id"] == mine["id"]


async def test_the_user_stream_of_a_non_follower_hears_nothing_of_the_author(
    served, db, settings, anna, bo
) -> None:
    base, api = served
    cleo = await make_member(db, settings, "cleo")
    cleo_h, bo_h = await bearer(db, cleo, "read write"), await bearer(db, bo, "write")
    url = f"{base}/api/v1/streaming?stream=user&access_token={token_of(cleo_h)}"
    async with connect(url) as socket:
        await post(api, bo_h, status="Bara för följare", visibility="private")
        await post(api, bo_h, status="För alla")
        own = await post(api, cleo_h, status="Cleos egen")
        got = await event(socket)  # the first event is her own: none of Bo's came
        assert (got["stream"], json.loads(got["payload"])["id"]) == (["user"], own["id"])


async def test_a_hashtag_stream_subscribed_by_message_with_the_token_as_subprotocol(
    served, db, anna, bo
) -> None:
    base, api = served
    token = token_of(await bearer(db, anna, "read:statuses"))
    async with connect(f"{base}/api/v1/streaming", subprotocols=[token]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == token  # echoed, as browsers require
        await socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Jazz"}))
        await socket.send(json.dumps({"type": "subscribe", "stream": "hashtag"}))
        assert await event(socket) == {"error": "No tag for stream provided"}
        await settled(socket)
        bo_h = await bearer(db, bo, "write")
        await post(api, bo_h, status="Utan tagg")
        tagged = await post(api, bo_h, status="Ikväll #jazz i Malmö")
        got = await event(socket)
        assert (got["stream"], got["event"]) == (["hashtag", "Jazz"], "update")
        assert json.loads(got["payload"])["id"] == tagged["id"]
        await socket.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "jazz"}))
        await settled(socket)
        await post(api, bo_h, status="Igen #jazz")
        await socket.send(json.dumps({"type": "subscribe", "stream": "nothing"}))
        assert await event(socket) == {"error": "Unknown stream type"}  # nothing came before


async def test_a_followers_only_status_never_reaches_a_public_stream(served, db, anna, bo) -> None:
    base, api = served
    headers = {"Authorization": f"Bearer {token_of(await bearer(db, anna, 'read'))}"}
    async with (
        connect(f"{base}/api/v1/streaming?stream=public", additional_headers=headers) as public,
        connect(f"{base}/api/v1/streaming?stream=public:local",
                additional_headers=headers) as local,
    ):  # fmt: skip
        bo_h = await bearer(db, bo, "write")
        await post(api, bo_h, status="Bara för följare", visibility="private")
        await post(api, bo_h, status="Olistad", visibility="unlisted")
        await post(api, bo_h, status="Direkt @anna", visibility="direct")
        shown = await post(api, bo_h, status="För alla")
        for socket, stream in ((public, ["public"]), (local, ["public:local"])):
            got = await event(socket)  # the first event is the public one
            assert (got["stream"], json.loads(got["payload"])["id"]) == (stream, shown["id"])
        deleted = await api.delete(f"/api/v1/statuses/{shown['id']}", headers=bo_h)
        assert deleted.status_code == 200
        got = await event(public)
        assert got == {"stream": ["public"], "event": "delete", "payload": shown["id"]}


async def test_a_notification_arrives_on_the_user_stream(served, db, settings, anna, bo) -> None:
    base, api = served
    jazz = await make_project(db, settings, "Jazz", "anna")
    anna_h = await bearer(db, anna)
    made = await api.post(
        f"/api/smart/v1/actors/{jazz.username}/calls", headers=anna_h,
        json={"title": "Drummer for Jazz", "description": "We need a drummer.", "remote": True},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    url = f"{base}/api/v1/streaming?stream=user:notification&access_token={token_of(anna_h)}"
    async with connect(url) as socket:
        async with db.session() as s:
            call_id = await s.scalar(select(ContentObject.id).where(ContentObject.kind == "call"))
        await post(api, await bearer(db, bo, "write"), visibility="direct",
                   status=f"@jazz@{settings.domain} I play the drums!",
                   in_reply_to_id=str(call_id))  # fmt: skip
        got = await event(socket)
        assert (got["stream"], got["event"]) == (["user:notification"], "notification")
        note = json.loads(got["payload"])
        async with db.session() as s:
            row = await s.scalar(select(Notification).where(Notification.actor_id == anna.id))
        assert row is not None
        assert row.kind == "application"  # ours, shown to apps as Mastodon's `status` type
        assert (note["id"], note["type"]) == (str(row.id), "status")
        assert note["account"]["id"] == str(bo.id) and note["status"]["id"] == str(call_id)
        assert note["created_at"].endswith("Z")


async def test_streams_outside_the_tokens_scopes_are_refused(served, db, anna) -> None:
    base, _ = served
    token = token_of(await bearer(db, anna, "write read:notifications"))
    async with connect(f"{base}/api/v1/streaming?stream=public&access_token={token}") as socket:
        assert await event(socket) == {"error": "This action is outside the authorized scopes"}
        await socket.send(json.dumps({"type": "subscribe", "stream": "user:notification"}))
        await settled(socket)  # user:notification was accepted: no error before this one


async def test_a_socket_whose_token_is_revoked_is_closed(settings, db, anna) -> None:
    token = token_of(await bearer(db, anna, "read"))
    async with node(settings, recheck_seconds=0.1) as (base, _):
        url = f"{base}/api/v1/streaming?stream=public&access_token={token}"
        async with connect(url) as socket:
            async with db.session() as s, s.begin():
                assert await revoke_token(s, label="app") == 1
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
