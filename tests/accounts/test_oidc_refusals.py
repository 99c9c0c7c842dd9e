"""Answers from the provider that must not sign anyone in: a cancelled sign-in, a state that
is not ours, a callback replayed, a forged flow cookie, an ID token for another client, with
another nonce or a broken signature, an answer naming another issuer. Each is a 400 page and
stores nothing. The provider runs for real; the swapped tokens are real tokens it signed,
put in place of ours at the transport (a man in the middle of the back channel)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from smartnode.accounts.accounts import ensure_account
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, ExternalIdentity, WebSession
from tests.accounts.test_oidc_support import (
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_ID,
    OTHER_SECRET,
    Provider,
    at_provider,
    leave_node,
    query_param,
    running_provider,
)
from tests.conftest import make_member

FLOW_COOKIE = "__Host-oidc"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc-refusals")) as running:
        yield running


@pytest.fixture
def settings(settings: Settings, provider: Provider) -> Settings:
    return provider.settings_for(settings)


@pytest.fixture
async def anna(db: Database, settings: Settings) -> Account:
    actor = await make_member(db, settings, "anna")
    async with db.session() as session, session.begin():
        return await ensure_account(session, actor, datetime.now(UTC), email="anna@example.org")


async def nothing_stored(db: Database, account: Account) -> None:
    """No identity, no session, the account still invited."""
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0
        row = await session.get(Account, account.id)
        assert row is not None and row.state == "invited"


class SwapIdToken(httpx.AsyncBaseTransport):
    """Loopback transport that puts `id_token` in place of the token endpoint's own."""

    def __init__(self, id_token: str) -> None:
        self.id_token = id_token
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path != "/token":
            return response
        body = orjson.loads(await response.aread())
        body["id_token"] = self.id_token
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              stream=httpx.ByteStream(orjson.dumps(body)))  # fmt: skip

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def node_swapping(
    settings: Settings, id_token: str = "set later"
) -> AsyncIterator[tuple[httpx.AsyncClient, SwapIdToken]]:
    """A node whose outbound requests go through SwapIdToken (the browser, and the swap)."""
    swap = SwapIdToken(id_token)
    application = create_app(settings, outbound_transport=swap)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            yield client, swap


async def id_token_for(
    provider: Provider, client_id: str, secret: str, *, nonce: str, login: str = "anna"
) -> str:
    """A real ID token the provider signs for `client_id` (its own code flow, run here)."""
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
        "scope": "openid email", "state": "elsewhere", "nonce": nonce,
        "code_challenge": challenge.decode().rstrip("="), "code_challenge_method": "S256",
    })  # fmt: skip
    answer = await at_provider(f"{provider.issuer}/auth?{query}", login)
    async with httpx.AsyncClient(trust_env=False) as backend:
        tokens = await backend.post(
            f"{provider.issuer}/token", auth=(client_id, secret),
            data={"grant_type": "authorization_code", "code": query_param(answer, "code"),
                  "redirect_uri": CALLBACK, "code_verifier": verifier},
        )  # fmt: skip
    assert tokens.status_code == 200, tokens.text
    id_token: str = tokens.json()["id_token"]
    return id_token


async def test_cancelled_at_the_provider(client, db, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna", cancel=True)
    assert query_param(answer, "error") == "access_denied"

    page = await client.get(answer)

    assert page.status_code == 400
    assert "was cancelled or refused" in page.text
    assert client.cookies.get(FLOW_COOKIE) is None
    await nothing_stored(db, anna)


async def test_a_state_that_is_not_ours_is_refused(client, db, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna")
    forged = str(httpx.URL(answer).copy_set_param("state", "someone-elses-state"))

    page = await client.get(forged)

    assert page.status_code == 400
    assert "does not belong to a sign-in started here" in page.text
    await nothing_stored(db, anna)


async def test_an_answer_in_another_browser_is_refused(app, client, db, settings, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as other:
        page = await other.get(answer)  # no flow cookie: a login CSRF attempt
    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_a_forged_flow_cookie_is_refused(client, db, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna")
    sealed = client.cookies[FLOW_COOKIE]
    payload, _, mac = sealed.partition(".")
    client.cookies.set(FLOW_COOKIE, f"{payload}.{mac[::-1]}", domain="se.smart.test")

    page = await client.get(answer)

    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_a_replayed_callback_is_refused(client, db, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna")
    sealed = client.cookies[FLOW_COOKIE]
    first = await client.get(answer)
    assert first.status_code == 303

    replay = await client.get(answer)  # the browser no longer holds the flow
    assert replay.status_code == 400
    client.cookies.set(FLOW_COOKIE, sealed, domain="se.smart.test")
    stolen = await client.get(answer)  # flow and code both replayed: the code is spent

    assert stolen.status_code == 400
    assert "could not be verified" in stolen.text
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 1


async def test_an_id_token_for_another_client_is_refused(db, settings, provider, anna) -> None:
    async with node_swapping(settings) as (client, swap):
        authorize = await leave_node(client)
        nonce = query_param(authorize, "nonce")
        swap.id_token = await id_token_for(provider, OTHER_ID, OTHER_SECRET, nonce=nonce)
        page = await client.get(await at_provider(authorize, "anna"))

    assert page.status_code == 400
    assert "could not be verified" in page.text
    await nothing_stored(db, anna)


async def test_an_id_token_of_another_sign_in_is_refused(db, settings, provider, anna) -> None:
    other_flow = await id_token_for(provider, CLIENT_ID, CLIENT_SECRET, nonce="another-nonce")
    async with node_swapping(settings, other_flow) as (client, _):
        page = await client.get(await at_provider(await leave_node(client), "anna"))

    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_an_id_token_with_a_broken_signature_is_refused(db, settings, provider, anna) -> None:
    async with node_swapping(settings) as (client, swap):
        authorize = await leave_node(client)
        genuine = await id_token_for(
            provider, CLIENT_ID, CLIENT_SECRET, nonce=query_param(authorize, "nonce")
        )
        head, body, signature = genuine.split(".")
        claims = orjson.loads(base64.urlsafe_b64decode(body + "=="))
        claims["sub"] = "mallory"
        forged_body = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
        swap.id_token = f"{head}.{forged_body}.{signature}"
        page = await client.get(await at_provider(authorize, "anna"))

    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_an_unsigned_id_token_is_refused(db, settings, provider, anna) -> None:
    async with node_swapping(settings) as (client, swap):
        authorize = await leave_node(client)
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
        claims = {"iss": provider.issuer, "aud": CLIENT_ID, "sub": "anna", "iat": 1,
                  "exp": 4102444800, "nonce": query_param(authorize, "nonce")}  # fmt: skip
        body = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
        swap.id_token = f"{header}.{body}."
        page = await client.get(await at_provider(authorize, "anna"))

    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_an_answer_naming_another_issuer_is_refused(client, db, anna) -> None:
    answer = await at_provider(await leave_node(client), "anna")
    mixed_up = str(httpx.URL(answer).copy_set_param("iss", "https://evil.example"))

    page = await client.get(mixed_up)

    assert page.status_code == 400
    await nothing_stored(db, anna)


async def test_an_unreachable_provider_is_a_clear_page(db, settings) -> None:
    gone = settings.model_copy(update={"oidc_issuer": "http://127.0.0.1:9"})
    application = create_app(gone)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=gone.base_url) as client:
            page = await client.get("/signin/provider")
    assert page.status_code == 502
    assert "cannot be reached right now" in page.text
