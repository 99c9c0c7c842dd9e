"""Invitations and password resets on the wire, with mail through a real SMTP server on
loopback: links work once, expire, and speak the member's language."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from smartnode.accounts.accounts import account_of
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, AccountLink, ApiToken, WebSession
from tests.accounts.account_support import (
    STRONG,
    Inbox,
    body_of,
    hidden_fields,
    link_in,
    member_with_password,
    post_form,
    sign_in,
    smtp_server,
)
from tests.conftest import Invoke, make_member

NEW = "seven quiet herons over the harbour"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


@pytest.fixture
def settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{smtp[1]}")
    return settings


async def _admin_token(smartnode: Invoke) -> str:
    result = await asyncio.to_thread(smartnode, "token", "create", "staff")
    assert result.exit_code == 0, result.output
    return str(result.stdout.strip())


async def test_an_invitation_from_the_cli_is_mailed_and_works_once(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke,
    smtp: tuple[Inbox, int],
) -> None:  # fmt: skip
    await make_member(db, settings, "anna", name="Anna Lind")
    smtp_url = f"smtp://127.0.0.1:{smtp[1]}"
    result = await asyncio.to_thread(
        smartnode, "member", "invite", "anna", "--email", "anna@example.org",
        SMARTNODE_SMTP_URL=smtp_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Mailed to anna@example.org." in result.output
    printed = link_in(result.output, "/invitation/")
    [mail] = smtp[0].messages
    assert mail["To"] == "anna@example.org"
    assert mail["Subject"] == "Your account on Smart Sverige"
    assert link_in(body_of(mail), "/invitation/") == printed
    assert "@anna@se.smart.test" in body_of(mail)

    page = await client.get(printed)
    assert page.status_code == 200 and "Welcome to Smart Sverige" in page.text
    assert page.headers["referrer-policy"] == "same-origin"  # the token never leaves the node
    weak = await client.post(
        printed, data={**hidden_fields(page.text), "choice": "password", "password": "password123"}
    )
    assert weak.status_code == 422 and "too common" in weak.text
    done = await client.post(
        printed, data={**hidden_fields(page.text), "choice": "password", "password": STRONG}
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200
    async with db.session() as s:
        account = await s.scalar(select(Account))
        assert account is not None
        assert (account.state, account.email_verified) == ("active", True)
        assert account.password_hash and account.password_hash.startswith("$argon2id$")

    client.cookies.clear()
    again = await client.get(printed)
    assert again.status_code == 410 and "does not work any more" in again.text
    assert (await sign_in(client, "anna")).status_code == 303


async def test_an_invitation_without_a_password_goes_on_to_passkeys(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke
) -> None:
    await make_member(db, settings, "bo")
    result = await asyncio.to_thread(smartnode, "member", "invite", "bo")
    assert result.exit_code == 0, result.output
    assert "Mailed" not in result.output
    link = link_in(result.output, "/invitation/")
    answer = await post_form(client, link, link, choice="passkey")
    assert answer.status_code == 303 and answer.headers["location"] == "/account/passkeys"
    async with db.session() as s:
        account = await s.scalar(select(Account))
        assert account is not None and account.state == "active"
        assert account.password_hash is None
        assert (await s.scalar(select(WebSession)) or WebSession()).method == "link"


async def test_a_new_invitation_replaces_the_old_and_links_expire(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke
) -> None:
    await make_member(db, settings, "cleo")
    first = link_in(
        (await asyncio.to_thread(smartnode, "member", "invite", "cleo")).output,
        "/invitation/",
    )
    second = link_in(
        (await asyncio.to_thread(smartnode, "member", "invite", "cleo")).output,
        "/invitation/",
    )
    assert (await client.get(first)).status_code == 410
    assert (await client.get(second)).status_code == 200
    async with db.session() as s, s.begin():
        await s.execute(update(AccountLink).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert (await client.get(second)).status_code == 410
    refused = await post_form(client, "/signin", second, password=STRONG)
    assert refused.status_code == 410


async def test_cli_invite_refuses_unknown_and_active_members(
    db: Database, settings: Settings, smartnode: Invoke
) -> None:
    await member_with_password(db, settings, "anna")
    unknown = await asyncio.to_thread(smartnode, "member", "invite", "nobody")
    assert unknown.exit_code == 1 and "no member named 'nobody'" in unknown.output
    active = await asyncio.to_thread(smartnode, "member", "invite", "anna")
    assert active.exit_code == 1 and "already signs in" in active.output
    bad = await asyncio.to_thread(
        smartnode, "member", "invite", "anna", "--email", "not-an-address"
    )
    assert bad.exit_code == 1 and "not an email address" in bad.output
    assert "Traceback" not in unknown.output + active.output + bad.output


async def test_a_reset_is_mailed_in_the_members_language_and_signs_out_elsewhere(
    app: object, client: httpx.AsyncClient, db: Database, settings: Settings,
    smtp: tuple[Inbox, int],
) -> None:  # fmt: skip
    actor = await member_with_password(db, settings, "anna", name="Anna Lind")
    async with db.session() as s, s.begin():
        account = await account_of(s, actor.id)
        assert account is not None
        account.ui_language = "sv"
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as laptop:
        await sign_in(laptop, "anna")
        answer = await post_form(client, "/reset", "/reset", name="anna")
        assert answer.status_code == 200 and "Check your email" in answer.text
        [mail] = smtp[0].messages
        assert mail["Subject"] == "Välj ett nytt lösenord för Smart Sverige"
        assert mail["Content-Language"] == "sv"
        assert "Hej Anna Lind," in body_of(mail)
        link = link_in(body_of(mail), "/reset/")
        weak = await post_form(client, link, link, password="anna lind")
        assert weak.status_code == 422
        done = await post_form(client, link, link, password=NEW)
        assert done.status_code == 303
        assert (await laptop.get("/account")).status_code == 303  # signed out there
    assert (await client.get("/account")).status_code == 200
    assert (await client.get(link)).status_code == 410
    client.cookies.clear()
    assert (await sign_in(client, "anna", NEW)).status_code == 303


async def test_a_reset_for_an_unknown_name_says_the_same_and_mails_nothing(
    client: httpx.AsyncClient, db: Database, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    await member_with_password(db, settings, "anna")
    known = await post_form(client, "/reset", "/reset", name="anna@example.org")
    unknown = await post_form(client, "/reset", "/reset", name="nobody@example.org")
    assert known.status_code == unknown.status_code == 200

    def words(text: str) -> str:
        return text.split("<main", 1)[1].split("</main>", 1)[0]

    assert words(known.text) == words(unknown.text)
    assert [m["To"] for m in smtp[0].messages] == ["anna@example.org"]


async def test_the_admin_api_invites_suspends_and_reactivates(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke,
    smtp: tuple[Inbox, int],
) -> None:  # fmt: skip
    await make_member(db, settings, "dana", name="Dana")
    admin = {"authorization": f"Bearer {await _admin_token(smartnode)}"}
    made = await client.post("/api/smart/v1/members/dana/invitation", headers=admin,
                             json={"email": "dana@example.org"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["email"] == "dana@example.org"
    assert [m["To"] for m in smtp[0].messages] == ["dana@example.org"]
    assert link_in(body_of(smtp[0].messages[0]), "/invitation/") in made.json()["url"]
    await post_form(
        client, made.json()["url"], made.json()["url"], choice="password", password=STRONG
    )
    assert (await client.get("/account")).status_code == 200

    again = await client.post("/api/smart/v1/members/dana/invitation", headers=admin, json={})
    assert again.status_code == 409
    missing = await client.post("/api/smart/v1/members/zed/invitation", headers=admin, json={})
    assert missing.status_code == 404
    anonymous = await client.post("/api/smart/v1/members/dana/invitation", json={})
    assert anonymous.status_code == 401

    suspended = await client.post("/api/smart/v1/members/dana/suspend", headers=admin)
    assert suspended.json() == {"username": "dana", "state": "suspended"}
    assert (await client.get("/account")).status_code == 303  # the session ended
    refused = await sign_in(client, "dana")
    assert refused.status_code == 401 and "suspended" in refused.text
    back = await client.post("/api/smart/v1/members/dana/reactivate", headers=admin)
    assert back.json()["state"] == "active"
    assert (await sign_in(client, "dana")).status_code == 303


async def test_a_member_token_may_not_invite_or_suspend(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke
) -> None:
    await member_with_password(db, settings, "anna")
    await make_member(db, settings, "bo")
    result = await asyncio.to_thread(smartnode, "token", "create", "anna", "--member", "anna")
    token = result.stdout.strip()
    headers = {"authorization": f"Bearer {token}"}
    for path in ("/api/smart/v1/members/bo/invitation", "/api/smart/v1/members/anna/suspend"):
        answer = await client.post(path, headers=headers, json={})
        assert answer.status_code == 403, path
        assert answer.json()["code"] == "forbidden"


async def test_suspension_from_the_cli_ends_sessions_and_app_grants(
    client: httpx.AsyncClient, db: Database, settings: Settings, smartnode: Invoke
) -> None:
    actor = await member_with_password(db, settings, "anna")
    await sign_in(client, "anna")
    async with db.session() as s, s.begin():
        s.add(ApiToken(token_hash="f" * 64, label="an app", scope="app", actor_id=actor.id,
                       created_at=datetime.now(UTC)))  # fmt: skip
    result = await asyncio.to_thread(smartnode, "member", "suspend", "anna")
    assert result.exit_code == 0 and "suspended" in result.output
    async with db.session() as s:
        assert list(await s.scalars(select(WebSession))) == []
        assert list(await s.scalars(select(ApiToken).where(ApiToken.scope == "app"))) == []
    assert (await client.get("/account")).status_code == 303
    result = await asyncio.to_thread(smartnode, "member", "reactivate", "anna")
    assert result.exit_code == 0 and "can sign in again" in result.output


async def test_an_invitation_goes_to_the_address_smart_knows(
    db: Database, settings: Settings, smartnode: Invoke, smtp: tuple[Inbox, int]
) -> None:
    await make_member(db, settings, "eva", email="eva@example.org")
    result = await asyncio.to_thread(
        smartnode, "member", "invite", "eva", SMARTNODE_SMTP_URL=f"smtp://127.0.0.1:{smtp[1]}"
    )
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp[0].messages] == ["eva@example.org"]
    async with db.session() as s:
        assert await s.scalar(select(Account.email)) == "eva@example.org"
