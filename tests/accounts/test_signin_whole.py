"""The whole way in, as a member does it in a browser: password, then the code from their
app (or a recovery code), ending with a full session."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from smartnode.accounts.accounts import account_of
from smartnode.accounts.passwords import set_password
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import WebSession
from tests.accounts.account_support import STRONG, hidden_fields, sign_in
from tests.accounts.factor_support import fresh_code, totp_member


async def _second_step(client: httpx.AsyncClient, location: str, code: str) -> httpx.Response:
    page = await client.get(location)
    assert page.status_code == 200, page.text
    fields = {**hidden_fields(page.text), "code": code}
    return await client.post("/signin/second-factor", data=fields)


async def _arrange(db: Database, settings: Settings) -> tuple[int, str, list[str]]:
    member, seed, codes = await totp_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        account = await account_of(s, member.actor.id)
        assert account is not None
        await set_password(s, account, member.actor, STRONG, datetime.now(UTC))
        await s.execute(WebSession.__table__.delete())  # signed out: start from nothing
    return member.account_id, seed, codes


async def test_password_then_app_code(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account_id, seed, _ = await _arrange(db, settings)
    first = await sign_in(client, "anna", next="/account/sessions")
    assert first.status_code == 303
    assert first.headers["location"].startswith("/signin/second-factor")
    assert (await client.get("/account")).status_code == 303  # not in yet
    done = await _second_step(client, first.headers["location"],
                              await fresh_code(db, account_id, seed))  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/account/sessions"
    assert (await client.get("/account")).status_code == 200
    async with db.session() as s:
        assert list(await s.scalars(select(WebSession.level))) == ["full"]


async def test_password_then_a_recovery_code_that_works_once(
    app: object, client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, _, codes = await _arrange(db, settings)
    first = await sign_in(client, "anna")
    done = await _second_step(client, first.headers["location"], codes[0])
    assert done.status_code == 303
    assert (await client.get("/account")).status_code == 200
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as other:
        again = await sign_in(other, "anna")
        refused = await _second_step(other, again.headers["location"], codes[0])
        assert refused.status_code in (401, 422)
        assert (await other.get("/account")).status_code == 303
