"""Signing in through the cooperative's OpenID provider, against a real provider on loopback:
the first sign-in links by verified email (an invited account becomes active), the next one
finds the identity, unverified and unknown addresses are refused (or a member is made when the
operator allows it), a suspended account is refused, and the pages speak the viewer's language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.requests import Request

from smartnode.accounts.accounts import SUSPENDED, ensure_account, set_state
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account, ExternalIdentity, WebSession
from smartnode.storage.models_profiles import MemberProfile
from smartnode.web.pages import render
from smartnode.web.provider_pages import provider_button
from tests.accounts.test_oidc_support import (
    Provider,
    query_param,
    running_provider,
    sign_in,
)
from tests.conftest import make_member

SESSION_COOKIE = "__Host-session"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc-signin")) as running:
        yield running


@pytest.fixture
def settings(settings: Settings, provider: Provider) -> Settings:
    return provider.settings_for(settings)


@asynccontextmanager
async def node_with(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same database, with other settings."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            yield client


async def invited(db: Database, settings: Settings, username: str, email: str) -> Account:
    """Arrange: a member the cooperative registered with `email`, not signed in yet."""
    actor = await make_member(db, settings, username)
    async with db.session() as session, session.begin():
        return await ensure_account(session, actor, datetime.now(UTC), email=email)


async def account_row(db: Database, account_id: int) -> Account:
    async with db.session() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        return account


async def identities(db: Database) -> list[tuple[int, str, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(ExternalIdentity.account_id, ExternalIdentity.issuer, ExternalIdentity.subject)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def sessions_of(db: Database, account_id: int) -> list[WebSession]:
    async with db.session() as session:
        rows = await session.scalars(select(WebSession).where(WebSession.account_id == account_id))
        return list(rows)


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_leaving_asks_for_code_with_pkce_state_and_nonce(client, provider) -> None:
    response = await client.get("/signin/provider", params={"next": "/account/sessions"})

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{provider.issuer}/auth?")
    assert query_param(location, "response_type") == "code"
    assert query_param(location, "client_id") == "smartnode"
    assert query_param(location, "redirect_uri") == "https://se.smart.test/signin/provider/callback"
    assert query_param(location, "scope") == "openid email profile"
    assert query_param(location, "code_challenge_method") == "S256"
    assert len(query_param(location, "code_challenge")) == 43
    assert len(query_param(location, "state")) >= 32
    assert len(query_param(location, "nonce")) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-oidc=")
    for attribute in ("HttpOnly", "Max-Age=600", "Path=/", "SameSite=lax", "Secure"):
        assert attribute in cookie


async def test_first_sign_in_links_by_verified_email_and_activates(client, db, settings) -> None:
    account = await invited(db, settings, "anna", "anna@example.org")
    assert account.state == "invited"

    answer = await sign_in(client, "anna", "/account/sessions")

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/account/sessions"
    assert client.cookies.get(SESSION_COOKIE)
    assert client.cookies.get("__Host-oidc") is None  # the flow is used up
    row = await account_row(db, account.id)
    assert (row.state, row.email_verified) == ("active", True)
    assert await identities(db) == [(account.id, settings.oidc_issuer, "anna")]
    [web_session] = await sessions_of(db, account.id)
    assert (web_session.method, web_session.level) == ("oidc", "full")
    home = await client.get("/account")
    assert home.status_code == 200


async def test_second_sign_in_finds_the_identity(client, db, settings) -> None:
    account = await invited(db, settings, "anna", "anna@example.org")
    assert (await sign_in(client, "anna")).status_code == 303
    async with db.session() as session, session.begin():  # the cooperative changes the address
        row = await session.get(Account, account.id)
        assert row is not None
        row.email = "anna.berg@example.org"
    client.cookies.clear()

    again = await sign_in(client, "anna")

    assert again.status_code == 303, again.text
    assert await identities(db) == [(account.id, settings.oidc_issuer, "anna")]
    assert len(await sessions_of(db, account.id)) == 2


async def test_unverified_email_is_refused(client, db, settings) -> None:
    account = await invited(db, settings, "ulla", "ulla@example.org")

    answer = await sign_in(client, "ulla")

    assert answer.status_code == 403
    assert "has not confirmed your email address" in answer.text
    assert (await account_row(db, account.id)).state == "invited"
    assert await identities(db) == []
    assert await sessions_of(db, account.id) == []
    assert client.cookies.get(SESSION_COOKIE) is None


async def test_unknown_email_is_refused_when_creating_members_is_off(client, db) -> None:
    members = await count(db, Actor)

    answer = await sign_in(client, "nina")

    assert answer.status_code == 403
    assert "has not registered this address (nina@example.org) on this node" in answer.text
    assert await count(db, Actor) == members
    assert await identities(db) == []
    assert await count(db, WebSession) == 0


async def test_unknown_email_makes_a_member_when_the_operator_allows(db, settings) -> None:
    async with node_with(settings.model_copy(update={"oidc_create_members": True})) as client:
        first = await sign_in(client, "nina")
        client.cookies.clear()
        second = await sign_in(client, "nina-too")

    assert (first.status_code, second.status_code) == (303, 303)
    async with db.session() as session:
        made = (await session.execute(
            select(Actor.username, Actor.name, Account.state, Account.email,
                   Account.email_verified, MemberProfile.email)
            .join(Account, Account.actor_id == Actor.id)
            .join(MemberProfile, MemberProfile.actor_id == Actor.id)
            .order_by(Actor.id)
        )).all()  # fmt: skip
    assert [tuple(row) for row in made] == [
        ("nina_odegard", "Nína Ödegård", "active", "nina@example.org", True, "nina@example.org"),
        ("nina_odegard2", "Nína O.", "active", "nina.o@example.org", True, "nina.o@example.org"),
    ]
    assert {subject for _, _, subject in await identities(db)} == {"nina", "nina-too"}
    assert await count(db, WebSession) == 2


async def test_suspended_account_is_refused(client, db, settings) -> None:
    account = await invited(db, settings, "bo", "bo@example.org")
    async with db.session() as session, session.begin():
        row = await session.get(Account, account.id)
        assert row is not None
        await set_state(session, row, SUSPENDED, datetime.now(UTC))

    answer = await sign_in(client, "bo")

    assert answer.status_code == 403
    assert "account is suspended" in answer.text
    assert await identities(db) == []
    assert await sessions_of(db, account.id) == []


async def test_suspended_after_linking_is_refused(client, db, settings) -> None:
    account = await invited(db, settings, "bo", "bo@example.org")
    assert (await sign_in(client, "bo")).status_code == 303
    async with db.session() as session, session.begin():
        row = await session.get(Account, account.id)
        assert row is not None
        await set_state(session, row, SUSPENDED, datetime.now(UTC))
    client.cookies.clear()

    answer = await sign_in(client, "bo")

    assert answer.status_code == 403
    assert await sessions_of(db, account.id) == []


async def test_second_identity_with_the_same_address_is_refused(client, db, settings) -> None:
    account = await invited(db, settings, "anna", "anna@example.org")
    assert (await sign_in(client, "anna")).status_code == 303
    client.cookies.clear()

    answer = await sign_in(client, "mallory")  # the provider gave Anna's address to another

    assert answer.status_code == 403
    assert "signs in with another identity" in answer.text
    assert await identities(db) == [(account.id, settings.oidc_issuer, "anna")]
    assert len(await sessions_of(db, account.id)) == 1


async def test_pages_speak_the_viewers_language(client, db) -> None:
    french = {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}

    answer = await sign_in(client, "nina", headers=french)

    assert answer.status_code == 403
    assert '<html lang="fr">' in answer.text
    assert "pas enregistré cette adresse (nina@example.org) sur ce nœud" in answer.text
    stale = await client.get("/signin/provider/callback?code=x&state=y", headers=french)
    assert stale.status_code == 400
    assert '<html lang="fr">' in stale.text
    assert "Recommencez depuis la page de connexion" in stale.text


async def test_without_a_provider_there_is_no_provider_sign_in(db, settings) -> None:
    async with node_with(settings.model_copy(update={"oidc_issuer": ""})) as client:
        start = await client.get("/signin/provider")
        back = await client.get("/signin/provider/callback?code=x&state=y")
    assert (start.status_code, back.status_code) == (404, 404)
    assert "does not offer sign-in through the cooperative" in start.text


def button(app: Any, settings: Settings, lang: str) -> str:
    """The sign-in page's provider part, as the page includes it."""
    request = Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"})
    response = render(request, "account/_provider_signin.html", lang=lang,
                      provider_name=provider_button(settings), next="/account/apps")  # fmt: skip
    return bytes(response.body).decode()


def test_the_sign_in_page_offers_the_provider_only_when_configured(app, settings) -> None:
    html = button(app, settings, "sv")
    assert 'href="/signin/provider?next=/account/apps"' in html
    assert "Logga in med Smart ID" in html
    assert button(app, settings.model_copy(update={"oidc_issuer": ""}), "sv").strip() == ""
