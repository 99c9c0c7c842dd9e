"""The second step of a password sign-in on the wire: a partial session (as the password page
leaves it) becomes a full one under a new token; a code works once, even for two racing
requests; wrong codes are slowed down with 429; no partial session, no form."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import WebSession
from smartnode.web.forms import session_cookie_name
from tests.accounts.factor_support import (
    browse_as,
    csrf_of,
    fresh_code,
    partial_cookies,
    totp_member,
    wrong_code,
)

SV = {"Accept-Language": "sv"}


async def _give(client: httpx.AsyncClient, code: str, next_url: str = "/account") -> httpx.Response:
    """Open the second-step form with the jar's partial session, then send `code`."""
    page = await client.get("/signin/second-factor", params={"next": next_url})
    assert page.status_code == 200, page.text
    form = {"csrf": csrf_of(page.text), "code": code, "next": next_url}
    return await client.post("/signin/second-factor", data=form)


def _with_partial(client: httpx.AsyncClient, cookies: dict[str, str]) -> None:
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)


async def test_a_code_turns_the_partial_session_into_a_full_one_with_a_new_token(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    partial = await partial_cookies(db, settings, member.account_id)
    _with_partial(client, partial)
    assert (await client.get("/account/second-factor")).status_code == 303  # not signed in yet

    answer = await _give(client, await fresh_code(db, member.account_id, seed), "/account/passkeys")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/passkeys"
    new_token = answer.cookies[session_cookie_name(settings)]
    old_token = partial[session_cookie_name(settings)]
    assert new_token != old_token
    assert (await client.get("/account/second-factor")).status_code == 200
    async with db.session() as s:
        rows = list(await s.scalars(select(WebSession).where(WebSession.level == "full")))
    assert {(row.method, row.level) for row in rows} >= {("second-factor", "full")}

    _with_partial(client, partial)  # the cookie seen before the second step: worth nothing now
    assert (await client.get("/account/second-factor")).status_code == 303
    again = await client.get("/signin/second-factor")
    assert again.status_code == 303 and again.headers["location"].startswith("/signin?")


async def test_a_code_is_never_taken_twice(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    code = await fresh_code(db, member.account_id, seed)
    _with_partial(client, await partial_cookies(db, settings, member.account_id))
    assert (await _give(client, code)).status_code == 303

    _with_partial(client, await partial_cookies(db, settings, member.account_id))
    reused = await _give(client, code)

    assert reused.status_code == 401
    assert "This code is not right, or it was used already." in reused.text
    assert session_cookie_name(settings) not in reused.cookies


async def test_two_racing_requests_with_one_code_sign_in_once(
    app: FastAPI, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    code = await fresh_code(db, member.account_id, seed)
    browsers = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url)
        for _ in range(2)
    ]
    try:
        for browser in browsers:
            _with_partial(browser, await partial_cookies(db, settings, member.account_id))
        pages = [await browser.get("/signin/second-factor") for browser in browsers]
        answers = await asyncio.gather(
            *(
                browser.post("/signin/second-factor",
                             data={"csrf": csrf_of(page.text), "code": code, "next": "/account"})
                for browser, page in zip(browsers, pages, strict=True)
            )
        )  # fmt: skip
    finally:
        for browser in browsers:
            await browser.aclose()

    assert sorted(answer.status_code for answer in answers) == [303, 401]


async def test_wrong_codes_are_slowed_down_with_429(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    _with_partial(client, await partial_cookies(db, settings, member.account_id))
    statuses = [(await _give(client, wrong_code(seed))).status_code for _ in range(5)]
    assert statuses == [401] * 5

    slowed = await _give(client, await fresh_code(db, member.account_id, seed))

    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) > 0
    assert "Too many attempts" in slowed.text
    assert session_cookie_name(settings) not in slowed.cookies


async def test_without_a_partial_session_the_form_sends_to_sign_in(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    page = await client.get("/signin/second-factor", params={"next": "/account/passkeys"})
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2Faccount%2Fpasskeys"
    await client.get("/signin")  # a CSRF cookie, but no session
    posted = await client.post("/signin/second-factor", data={"code": "123456", "csrf": "x"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/signin?")

    member, _, _ = await totp_member(db, settings)
    browse_as(client, member)  # a full session has nothing left to give
    full = await client.get("/signin/second-factor", params={"next": "/account/passkeys"})
    assert full.status_code == 303 and full.headers["location"] == "/account/passkeys"


async def test_next_never_leads_to_another_site(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    _with_partial(client, await partial_cookies(db, settings, member.account_id))

    answer = await _give(client, await fresh_code(db, member.account_id, seed), "//evil.example/")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"


async def test_a_form_from_another_site_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    _with_partial(client, await partial_cookies(db, settings, member.account_id))
    page = await client.get("/signin/second-factor")

    answer = await client.post(
        "/signin/second-factor",
        data={"csrf": csrf_of(page.text), "code": await fresh_code(db, member.account_id, seed)},
        headers={"Origin": "https://evil.example"},
    )

    assert answer.status_code == 403
    assert session_cookie_name(settings) not in answer.cookies


async def test_the_second_step_speaks_swedish(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    _with_partial(client, await partial_cookies(db, settings, member.account_id))

    page = await client.get("/signin/second-factor", headers=SV)
    form = {"csrf": csrf_of(page.text), "code": wrong_code(seed)}
    wrong = await client.post("/signin/second-factor", headers=SV, data=form)

    for answer in (page, wrong):
        assert '<html lang="sv">' in answer.text
        assert "Andra steget" in answer.text
    assert "Koden stämmer inte" in wrong.text
