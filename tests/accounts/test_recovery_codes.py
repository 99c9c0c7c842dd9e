"""Recovery codes in place of the app's code: each works once, typed however the member
copies it; they stop working when replaced or when the second step is turned off."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from smartnode.accounts.recovery import codes_left, looks_like_recovery_code, new_code
from smartnode.accounts.totp import disable
from smartnode.accounts.totp_check import accept_code
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, RecoveryCode
from smartnode.web.forms import session_cookie_name
from tests.accounts.factor_support import csrf_of, partial_cookies, totp_member


async def _sign_in_with(
    client: httpx.AsyncClient, db: Database, settings: Settings, account_id: int, code: str
) -> httpx.Response:
    """A fresh password sign-in (partial session), then `code` as the second step."""
    client.cookies.clear()
    for name, value in (await partial_cookies(db, settings, account_id)).items():
        client.cookies.set(name, value)
    page = await client.get("/signin/second-factor")
    return await client.post("/signin/second-factor",
                             data={"csrf": csrf_of(page.text), "code": code})  # fmt: skip


async def test_a_recovery_code_signs_in_once(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, _, codes = await totp_member(db, settings)

    first = await _sign_in_with(client, db, settings, member.account_id, codes[0])
    second = await _sign_in_with(client, db, settings, member.account_id, codes[0])

    assert first.status_code == 303
    assert session_cookie_name(settings) in first.cookies
    assert second.status_code == 401
    async with db.session() as s:
        used = list(await s.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))))
        account = await s.get(Account, member.account_id)
        assert account is not None
        assert await codes_left(s, account) == 9
    assert len(used) == 1


async def test_a_recovery_code_is_taken_as_the_member_copies_it(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member, _, codes = await totp_member(db, settings)
    copied = " " + codes[1].upper().replace("-", " ") + " "

    answer = await _sign_in_with(client, db, settings, member.account_id, copied)

    assert answer.status_code == 303


async def test_another_members_recovery_code_does_not_sign_in(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    anna, _, _ = await totp_member(db, settings, "anna")
    _, _, bert_codes = await totp_member(db, settings, "bert")

    answer = await _sign_in_with(client, db, settings, anna.account_id, bert_codes[0])

    assert answer.status_code == 401


async def test_recovery_codes_stop_working_when_the_second_step_is_off(
    db: Database, settings: Settings
) -> None:
    member, _, codes = await totp_member(db, settings)
    async with db.session() as s, s.begin():
        account = await s.get(Account, member.account_id)
        assert account is not None
        await disable(s, account, datetime.now(UTC))

        assert not await accept_code(s, settings, account, codes[0], datetime.now(UTC))
        assert list(await s.scalars(select(RecoveryCode))) == []


def test_codes_are_twelve_unambiguous_characters() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code) & set("01ilo")
        assert looks_like_recovery_code(code)
    assert not looks_like_recovery_code("123456")
