"""Setting up the second factor on the wire: a new seed shown as text, URI and QR code; on
only after a valid code; recovery codes shown once and stored hashed; new codes and turning
off each confirmed by a code; the pages in Swedish."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sqlalchemy import select

from smartnode.accounts.secrets import digest
from smartnode.accounts.totp import decrypt_seed
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, RecoveryCode
from tests.accounts.factor_support import (
    browse_as,
    csrf_of,
    fresh_code,
    post_form,
    signed_in_member,
    totp_member,
    wrong_code,
)

SV = {"Accept-Language": "sv"}
_KEY = re.compile(r"<dd><code>([A-Z2-7 ]+)</code></dd>")
_CODES = re.compile(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>")


async def _account(db: Database, account_id: int) -> Account:
    async with db.session() as s:
        account = await s.get(Account, account_id)
        assert account is not None
        return account


async def _start_setup(client: httpx.AsyncClient) -> tuple[str, str]:
    """Press "Set up", follow to the setup page: the page and the key it shows."""
    started = await post_form(client, "/account/second-factor", "/account/second-factor/setup")
    assert started.status_code == 303
    assert started.headers["location"] == "/account/second-factor/setup"
    page = await client.get("/account/second-factor/setup")
    assert page.status_code == 200
    found = _KEY.search(page.text)
    assert found, page.text
    return page.text, found.group(1).replace(" ", "")


async def test_the_setup_page_shows_the_key_as_text_uri_and_qr_code(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)

    page, seed = await _start_setup(client)

    uri = html.unescape(re.search(r'href="(otpauth://[^"]+)"', page).group(1))  # type: ignore[union-attr]
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Smart Sverige:@anna@se.smart.test"
    assert parse_qs(parts.query)["secret"] == [seed]
    assert parse_qs(parts.query)["issuer"] == ["Smart Sverige"]
    assert "<svg" in page and "<title>QR code for your authenticator app</title>" in page
    account = await _account(db, member.account_id)
    assert account.totp_enabled_at is None  # pending until a code is typed
    assert account.totp_secret is not None and seed not in account.totp_secret
    assert decrypt_seed(account.totp_secret, settings.secret()) == seed


async def test_a_wrong_code_does_not_turn_it_on_and_a_right_one_does(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    _, seed = await _start_setup(client)

    wrong = await post_form(client, "/account/second-factor/setup",
                            "/account/second-factor/enable", code=wrong_code(seed))  # fmt: skip
    assert wrong.status_code == 422
    assert "This code is not right" in wrong.text
    assert (await _account(db, member.account_id)).totp_enabled_at is None

    code = await fresh_code(db, member.account_id, seed)
    right = await post_form(client, "/account/second-factor/setup",
                            "/account/second-factor/enable", code=code)  # fmt: skip

    assert right.status_code == 200
    assert right.headers["cache-control"] == "no-store"
    codes = _CODES.findall(right.text)
    assert len(codes) == len(set(codes)) == 10
    account = await _account(db, member.account_id)
    assert account.totp_enabled_at is not None
    async with db.session() as s:
        stored = set(await s.scalars(select(RecoveryCode.code_hash)))
    assert stored == {digest(code.replace("-", "")) for code in codes}
    assert not any(code in stored for code in codes)
    overview = await client.get("/account/second-factor?done=on")
    assert "The second step is on." in overview.text
    assert "You have 10 unused recovery codes." in overview.text


async def test_a_pending_seed_is_not_a_second_factor(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    await _start_setup(client)

    overview = await client.get("/account/second-factor")

    assert "The second step is off." in overview.text


async def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, old_codes = await totp_member(db, settings)
    browse_as(client, member)

    refused = await post_form(client, "/account/second-factor",
                              "/account/second-factor/recovery-codes", code="123")  # fmt: skip
    assert refused.status_code == 422
    answer = await post_form(client, "/account/second-factor",
                             "/account/second-factor/recovery-codes",
                             code=await fresh_code(db, member.account_id, seed))  # fmt: skip

    new_codes = _CODES.findall(answer.text)
    assert answer.status_code == 200 and len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    async with db.session() as s:
        stored = set(await s.scalars(select(RecoveryCode.code_hash)))
    assert stored == {digest(code.replace("-", "")) for code in new_codes}


async def test_turning_it_off_needs_a_valid_code(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, seed, _ = await totp_member(db, settings)
    browse_as(client, member)

    refused = await post_form(client, "/account/second-factor", "/account/second-factor/disable",
                              code=wrong_code(seed))  # fmt: skip
    assert refused.status_code == 422
    assert (await _account(db, member.account_id)).totp_enabled_at is not None

    off = await post_form(client, "/account/second-factor", "/account/second-factor/disable",
                          code=await fresh_code(db, member.account_id, seed))  # fmt: skip

    assert off.status_code == 303
    assert off.headers["location"] == "/account/second-factor?done=off"
    account = await _account(db, member.account_id)
    assert (account.totp_secret, account.totp_enabled_at, account.totp_last_step) == (
        None, None, None,
    )  # fmt: skip
    async with db.session() as s:
        assert list(await s.scalars(select(RecoveryCode))) == []
    assert "The second step is off." in (await client.get(off.headers["location"])).text


async def test_a_recovery_code_also_turns_it_off(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, _, codes = await totp_member(db, settings)
    browse_as(client, member)

    off = await post_form(client, "/account/second-factor", "/account/second-factor/disable",
                          code=codes[3].upper())  # fmt: skip

    assert off.status_code == 303
    assert (await _account(db, member.account_id)).totp_enabled_at is None


async def test_the_second_factor_pages_need_a_signed_in_member(client: httpx.AsyncClient) -> None:
    for url in ("/account/second-factor", "/account/second-factor/setup"):
        answer = await client.get(url)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/signin?next=")


async def test_the_second_factor_pages_speak_swedish(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)

    off = await client.get("/account/second-factor", headers=SV)
    page = await post_form(client, "/account/second-factor", "/account/second-factor/setup")
    setup = await client.get(page.headers["location"], headers=SV)
    seed = _KEY.search(setup.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    code = await fresh_code(db, member.account_id, seed)
    enabled = await client.post("/account/second-factor/enable", headers=SV,
                                data={"csrf": csrf_of(setup.text), "code": code})  # fmt: skip

    for answer in (off, setup, enabled):
        assert '<html lang="sv">' in answer.text
    assert "Andra steg vid inloggning" in off.text
    assert "Ställ in en autentiseringsapp" in setup.text
    assert "Dina återställningskoder" in enabled.text
