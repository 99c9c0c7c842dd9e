"""Passkeys on the wire, with a software authenticator: register several, sign in without a
password (with or without a name), and the refusals (replayed challenge, wrong origin, wrong
relying party, cloned authenticator, a credential registered twice, no CSRF token)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from smartnode.accounts.accounts import SUSPENDED, set_state
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, Passkey, WebSession
from smartnode.storage.models_passkeys import PasskeyChallenge
from smartnode.web.forms import session_cookie_name
from smartnode.web.passkey_json import ceremony_cookie_name
from tests.accounts.factor_support import (
    add_passkey,
    browse_as,
    csrf_of,
    passkey_sign_in,
    script_headers,
    signed_in_member,
)
from tests.accounts.webauthn_authenticator import SoftAuthenticator, from_b64url


async def _passkeys(db: Database, account_id: int) -> list[Passkey]:
    async with db.session() as s:
        rows = await s.scalars(select(Passkey).where(Passkey.account_id == account_id))
        return list(rows)


async def _member_with_passkey(
    client: httpx.AsyncClient, db: Database, settings: Settings, username: str = "anna"
) -> tuple[int, SoftAuthenticator]:
    member = await signed_in_member(db, settings, username)
    device = SoftAuthenticator(settings.base_url)
    browse_as(client, member)
    added = await add_passkey(client, settings, device, name="Phone")
    assert added.status_code == 200, added.text
    browse_as(client, None)
    return member.account_id, device


async def test_a_member_registers_two_passkeys_and_sees_them_listed(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    laptop, phone = SoftAuthenticator(settings.base_url), SoftAuthenticator(settings.base_url)

    first = await add_passkey(client, settings, laptop, name="Laptop")
    second = await add_passkey(client, settings, phone, name="Phone")

    assert first.status_code == second.status_code == 200, second.text
    assert first.json() == {"redirect": "/account/passkeys?done=added"}
    rows = await _passkeys(db, member.account_id)
    assert sorted(row.name for row in rows) == ["Laptop", "Phone"]
    assert {row.credential_id for row in rows} == {*laptop.credentials, *phone.credentials}
    assert all(row.sign_count == 0 and "internal" in row.transports for row in rows)
    page = await client.get("/account/passkeys")
    assert "Laptop" in page.text and "Phone" in page.text and "Never" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_the_registration_options_name_the_node_and_exclude_known_passkeys(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await _member_with_passkey(client, db, settings)
    browse_as(client, await signed_in_member(db, settings, "anna2"))
    page = await client.get("/account/passkeys")
    headers = script_headers(settings, csrf_of(page.text))

    options = (await client.post("/account/passkeys/options", json={}, headers=headers)).json()

    assert options["rp"] == {"id": "se.smart.test", "name": "Smart Sverige"}
    assert options["user"]["name"] == "@anna2@se.smart.test"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == []  # anna's passkey is not anna2's business


async def test_a_member_signs_in_with_a_passkey_and_no_password_or_name(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account_id, device = await _member_with_passkey(client, db, settings)

    answer = await passkey_sign_in(client, settings, device, next_url="/account/passkeys")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"redirect": "/account/passkeys"}
    token = answer.cookies.get(session_cookie_name(settings))
    assert token
    async with db.session() as s:
        session_row = await s.scalar(select(WebSession).where(WebSession.account_id == account_id))
    assert session_row is not None
    assert (session_row.level, session_row.method) == ("full", "passkey")
    page = await client.get("/account/passkeys")  # the new cookie is in the jar
    assert page.status_code == 200
    (passkey,) = await _passkeys(db, account_id)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


async def test_a_typed_name_offers_only_that_members_passkeys_and_a_stranger_looks_alike(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, device = await _member_with_passkey(client, db, settings)
    page = await client.get("/signin")
    headers = script_headers(settings, csrf_of(page.text))

    known = await client.post("/signin/passkey/options", json={"name": "anna"}, headers=headers)
    unknown = await client.post("/signin/passkey/options", json={"name": "nobody"}, headers=headers)

    allowed = [from_b64url(c["id"]) for c in known.json()["allowCredentials"]]
    assert allowed == list(device.credentials)
    assert len(unknown.json()["allowCredentials"]) == 1  # a made-up one, not an empty list
    answer = await passkey_sign_in(client, settings, device, name="anna")
    assert answer.status_code == 200, answer.text


async def test_a_passkey_answering_for_another_typed_name_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, anna_device = await _member_with_passkey(client, db, settings, "anna")
    await _member_with_passkey(client, db, settings, "bert")
    credential = next(iter(anna_device.credentials.values()))

    answer = await passkey_sign_in(client, settings, anna_device, name="bert",
                                   credential=credential)  # fmt: skip

    assert answer.status_code == 401
    assert session_cookie_name(settings) not in answer.cookies


async def test_a_replayed_sign_in_challenge_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, device = await _member_with_passkey(client, db, settings)
    page = await client.get("/signin")
    headers = script_headers(settings, csrf_of(page.text))
    options = await client.post("/signin/passkey/options", json={}, headers=headers)
    ceremony = options.cookies[ceremony_cookie_name(settings)]
    body = {"credential": device.get(options.json()), "next": "/account"}
    first = await client.post("/signin/passkey/verify", json=body, headers=headers)
    assert first.status_code == 200, first.text

    client.cookies.set(ceremony_cookie_name(settings), ceremony)  # the same cookie again
    body["credential"] = device.get(options.json())  # even with a fresh, higher count
    replayed = await client.post("/signin/passkey/verify", json=body, headers=headers)

    assert replayed.status_code == 400
    assert replayed.json()["code"] == "passkey_refused"
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(PasskeyChallenge)) == 0


async def test_a_replayed_registration_challenge_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    page = await client.get("/account/passkeys")
    headers = script_headers(settings, csrf_of(page.text))
    options = await client.post("/account/passkeys/options", json={}, headers=headers)
    ceremony = options.cookies[ceremony_cookie_name(settings)]
    device = SoftAuthenticator(settings.base_url)
    first = await client.post("/account/passkeys/verify", headers=headers,
                              json={"credential": device.create(options.json())})  # fmt: skip
    assert first.status_code == 200, first.text

    client.cookies.set(ceremony_cookie_name(settings), ceremony)
    other = SoftAuthenticator(settings.base_url)
    again = await client.post("/account/passkeys/verify", headers=headers,
                              json={"credential": other.create(options.json())})  # fmt: skip

    assert again.status_code == 400
    assert len(await _passkeys(db, member.account_id)) == 1


async def test_an_answer_made_for_another_origin_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, device = await _member_with_passkey(client, db, settings)

    answer = await passkey_sign_in(client, settings, device, origin="https://se.smart.test.evil")

    assert answer.status_code == 401
    assert session_cookie_name(settings) not in answer.cookies
    member = await signed_in_member(db, settings, "bert")
    browse_as(client, member)
    added = await add_passkey(client, settings, SoftAuthenticator("https://evil.example"))
    assert added.status_code == 400
    assert await _passkeys(db, member.account_id) == []


async def test_an_answer_for_another_relying_party_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    _, device = await _member_with_passkey(client, db, settings)

    answer = await passkey_sign_in(client, settings, device, rp_id="smart.test")

    assert answer.status_code == 401
    member = await signed_in_member(db, settings, "bert")
    browse_as(client, member)
    added = await add_passkey(client, settings, SoftAuthenticator(settings.base_url),
                              rp_id="evil.example")  # fmt: skip
    assert added.status_code == 400


async def test_a_cloned_authenticator_whose_count_goes_back_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account_id, device = await _member_with_passkey(client, db, settings)
    clone = device.clone()
    assert (await passkey_sign_in(client, settings, device)).status_code == 200
    assert (await passkey_sign_in(client, settings, device)).status_code == 200
    browse_as(client, None)

    answer = await passkey_sign_in(client, settings, clone)  # count 1, the node saw 2

    assert answer.status_code == 401
    (passkey,) = await _passkeys(db, account_id)
    assert passkey.sign_count == 2


async def test_an_authenticator_without_a_count_may_sign_in_again(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    device = SoftAuthenticator(settings.base_url, counts=False)
    assert (await add_passkey(client, settings, device)).status_code == 200
    browse_as(client, None)

    assert (await passkey_sign_in(client, settings, device)).status_code == 200
    assert (await passkey_sign_in(client, settings, device)).status_code == 200


async def test_a_credential_is_never_registered_twice(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    anna_id, device = await _member_with_passkey(client, db, settings)
    bert = await signed_in_member(db, settings, "bert")
    browse_as(client, bert)
    annas = next(iter(device.credentials.values()))

    answer = await add_passkey(client, settings, device, reuse=annas)

    assert answer.status_code == 409
    assert answer.json()["code"] == "passkey_refused"
    assert await _passkeys(db, bert.account_id) == []
    assert len(await _passkeys(db, anna_id)) == 1


async def test_a_suspended_member_cannot_sign_in_with_a_passkey(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    account_id, device = await _member_with_passkey(client, db, settings)
    async with db.session() as s, s.begin():
        account = await s.get(Account, account_id)
        assert account is not None
        await set_state(s, account, SUSPENDED, datetime.now(UTC))

    answer = await passkey_sign_in(client, settings, device)

    assert answer.status_code == 401
    assert session_cookie_name(settings) not in answer.cookies


async def test_the_json_endpoints_need_the_csrf_token_and_our_origin(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    page = await client.get("/signin")
    csrf = csrf_of(page.text)

    no_token = await client.post("/signin/passkey/options", json={},
                                 headers={"Origin": settings.base_url})  # fmt: skip
    elsewhere = await client.post("/signin/passkey/options", json={},
                                  headers={"Origin": "https://evil.example",
                                           "X-CSRF-Token": csrf})  # fmt: skip
    no_origin = await client.post("/signin/passkey/verify", json={},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    adding = await client.post("/account/passkeys/options", json={},
                               headers={"Origin": settings.base_url})  # fmt: skip

    for refused in (no_token, elsewhere, no_origin, adding):
        assert refused.status_code == 403
        assert refused.json()["code"] == "form_refused"


async def test_adding_a_passkey_signed_out_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    page = await client.get("/signin")
    headers = script_headers(settings, csrf_of(page.text))

    answer = await client.post("/account/passkeys/options", json={}, headers=headers)

    assert answer.status_code == 401
    assert answer.json()["code"] == "not_signed_in"
    assert (await client.get("/account/passkeys")).headers["location"].startswith("/signin?")
