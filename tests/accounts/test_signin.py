"""Signing in with a password, on the wire: sessions, sign-out, CSRF, fixation, throttling and
answers that do not tell which accounts exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import httpx
import pytest
from sqlalchemy import func, select

from smartnode.accounts.accounts import account_of
from smartnode.accounts.secrets import digest
from smartnode.accounts.sessions import start_session
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import SignInThrottle, WebSession
from smartnode.web.forms import session_cookie_name
from tests.accounts.account_support import (
    STRONG,
    hidden_fields,
    member_with_password,
    post_form,
    sign_in,
)


async def _sessions(db: Database) -> list[WebSession]:
    async with db.session() as s:
        return list(await s.scalars(select(WebSession).order_by(WebSession.id)))


async def test_sign_in_then_the_account_page_then_sign_out(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna", name="Anna Lind")
    assert (await client.get("/account")).headers["location"] == "/signin?next=%2Faccount"

    answer = await sign_in(client, "anna", next="/account/sessions")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/sessions"
    cookie = answer.headers["set-cookie"]
    assert "__Host-session=" in cookie
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" in cookie
    assert answer.headers["cache-control"] == "no-store"

    page = await client.get("/account")
    assert page.status_code == 200
    assert "Anna Lind" in page.text and "@anna@se.smart.test" in page.text
    [row] = await _sessions(db)
    assert row.level == "full" and row.method == "password"
    token = client.cookies.get(session_cookie_name(settings))
    assert token and row.token_hash == digest(token)  # only the digest is stored

    out = await post_form(client, "/account", "/signout")
    assert out.status_code == 303 and out.headers["location"] == "/signin?signed_out=1"
    assert await _sessions(db) == []
    assert (await client.get("/account")).status_code == 303


async def test_a_username_with_at_and_domain_and_an_email_address_both_sign_in(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "bo", email="Bo@Example.org")
    assert (await sign_in(client, "@bo@se.smart.test")).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "BO@example.ORG")).status_code == 303


async def test_wrong_password_and_unknown_name_get_the_same_answer(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    wrong = await sign_in(client, "anna", "not the right password at all")
    unknown = await sign_in(client, "nobody", "not the right password at all")
    assert wrong.status_code == unknown.status_code == 401
    words = "The name or the password is not right."
    assert words in wrong.text and words in unknown.text

    def without_tokens(text: str) -> str:
        for value in hidden_fields(text).values():
            text = text.replace(value, "")
        return text.replace('value="anna"', "").replace('value="nobody"', "")

    assert without_tokens(wrong.text) == without_tokens(unknown.text)
    assert await _sessions(db) == []


async def test_an_unknown_name_costs_the_same_argon2_work(
    client: httpx.AsyncClient, db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shortcut for unknown names: each attempt verifies one Argon2 hash (the library is
    counted, not replaced)."""
    await member_with_password(db, settings, "anna")
    calls: list[str] = []
    real = argon2.PasswordHasher.verify

    def counted(self: argon2.PasswordHasher, hash: str, password: str) -> bool:
        calls.append(hash[:10])
        return real(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted)
    await sign_in(client, "anna", "not the right password at all")
    await sign_in(client, "nobody", "not the right password at all")
    await sign_in(client, "nobody@example.org", "not the right password at all")
    assert len(calls) == 3 and all(c.startswith("$argon2id") for c in calls)


async def test_guessing_is_slowed_per_name_with_429_and_retry_after(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    for _ in range(5):
        assert (await sign_in(client, "anna", "wrong guess number x")).status_code == 401
    slowed = await sign_in(client, "anna")  # even the right password now waits
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) >= 1
    assert "Too many attempts" in slowed.text
    for _ in range(5):
        await sign_in(client, "ghost", "wrong guess number x")
    assert (await sign_in(client, "ghost", "x")).status_code == 429  # unknown names alike
    async with db.session() as s:
        keys = set(await s.scalars(select(SignInThrottle.key)))
    assert {"login:anna", "login:ghost"} <= keys
    assert await _sessions(db) == []


async def test_a_success_clears_the_names_failures(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    for _ in range(4):
        await sign_in(client, "anna", "wrong guess number x")
    assert (await sign_in(client, "anna")).status_code == 303
    async with db.session() as s:
        assert await s.get(SignInThrottle, "login:anna") is None


async def test_forms_without_the_csrf_token_or_from_another_site_are_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    bare = await client.post("/signin", data={"name": "anna", "password": STRONG})
    assert bare.status_code == 403
    page = await client.get("/signin")
    fields = {**hidden_fields(page.text), "name": "anna", "password": STRONG}
    foreign = await client.post("/signin", data=fields, headers={"origin": "https://evil.test"})
    assert foreign.status_code == 403
    forged = await client.post("/signin", data={**fields, "csrf": "x" * 43})
    assert forged.status_code == 403
    assert await _sessions(db) == []
    ok = await client.post("/signin", data=fields, headers={"origin": "https://se.smart.test"})
    assert ok.status_code == 303


async def test_no_session_fixation(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    """A cookie planted before sign-in is never the session afterwards."""
    await member_with_password(db, settings, "anna")
    planted = "attacker-chosen-session-value-0123456789"
    client.cookies.set(session_cookie_name(settings), planted, domain="se.smart.test")
    assert (await sign_in(client, "anna")).status_code == 303
    [row] = await _sessions(db)
    assert row.token_hash != digest(planted)
    assert client.cookies.get(session_cookie_name(settings)) != planted


async def test_the_next_parameter_never_leaves_the_node(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    for target in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"):
        client.cookies.clear()
        answer = await sign_in(client, "anna", next=target)
        assert answer.headers["location"] == "/account", target


async def test_sessions_are_listed_and_ended_elsewhere(
    app: object, client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    await sign_in(client, "anna")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url,
                                 headers={"user-agent": "Phone browser 1.0"}) as phone:  # fmt: skip
        await sign_in(phone, "anna")
        assert (await phone.get("/account")).status_code == 200
        page = await client.get("/account/sessions")
        assert page.status_code == 200
        assert "Phone browser 1.0" in page.text and "This browser" in page.text
        ended = await post_form(client, "/account/sessions", "/account/sessions/end-others")
        assert ended.status_code == 303
        assert (await phone.get("/account")).status_code == 303  # signed out there
    assert (await client.get("/account")).status_code == 200
    assert len(await _sessions(db)) == 1


async def test_one_cannot_end_another_members_session(
    app: object, client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "bo")
    await sign_in(client, "anna")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as other:
        await sign_in(other, "bo")
    bo_row = [row for row in await _sessions(db) if row.method == "password"][-1]
    await post_form(client, "/account/sessions", f"/account/sessions/{bo_row.id}/end")
    assert len(await _sessions(db)) == 2


async def test_idle_and_absolute_expiry(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    actor = await member_with_password(db, settings, "anna")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        account = await account_of(s, actor.id)
        assert account is not None
        long_ago = now - timedelta(hours=settings.session_idle_hours + 1)
        idle = await start_session(s, settings, account, long_ago, method="password")
        fresh = await start_session(s, settings, account, now, method="password")
        fresh.row.expires_at = now - timedelta(seconds=1)  # past its absolute limit
    for token in (idle.token, fresh.token):
        client.cookies.set(session_cookie_name(settings), token, domain="se.smart.test")
        assert (await client.get("/account")).status_code == 303
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(WebSession)) == 0  # deleted


async def test_a_second_factor_owed_sends_to_its_page_with_a_partial_session(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    actor = await member_with_password(db, settings, "anna")
    async with db.session() as s, s.begin():
        account = await account_of(s, actor.id)
        assert account is not None
        account.totp_enabled_at = datetime.now(UTC)
    answer = await sign_in(client, "anna", next="/account/apps")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin/second-factor?next=%2Faccount%2Fapps"
    [row] = await _sessions(db)
    assert row.level == "partial"
    assert (await client.get("/account")).status_code == 303  # a partial session is not in
