"""The passkey pages without JavaScript: the list, renaming and removing with plain forms, the
last way in kept, the sign-in page offering passkeys, and every page in Swedish."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account, Passkey
from tests.accounts.factor_support import (
    add_passkey,
    browse_as,
    csrf_of,
    post_form,
    signed_in_member,
)
from tests.accounts.webauthn_authenticator import SoftAuthenticator

SV = {"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}


async def _names(db: Database, account_id: int) -> list[str]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Passkey.name).where(Passkey.account_id == account_id).order_by(Passkey.id)
        )
        return list(rows)


async def _with_password(db: Database, account_id: int) -> None:
    async with db.session() as s, s.begin():
        account = await s.get(Account, account_id)
        assert account is not None
        account.password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$not-checked-here"


async def test_a_passkey_is_renamed_and_removed_with_plain_forms(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    for device in (SoftAuthenticator(settings.base_url), SoftAuthenticator(settings.base_url)):
        assert (await add_passkey(client, settings, device)).status_code == 200
    async with db.session() as s:
        first, second = list(await s.scalars(select(Passkey.id).order_by(Passkey.id)))

    renamed = await post_form(client, "/account/passkeys", f"/account/passkeys/{first}/rename",
                              name="  Work   laptop ")  # fmt: skip
    removed = await post_form(client, "/account/passkeys", f"/account/passkeys/{second}/remove")

    assert renamed.status_code == removed.status_code == 303
    assert renamed.headers["location"] == "/account/passkeys?done=renamed"
    assert await _names(db, member.account_id) == ["Work laptop"]
    page = await client.get(removed.headers["location"])
    assert "The passkey was removed." in page.text


async def test_the_only_way_in_is_not_removed(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    member = await signed_in_member(db, settings)
    browse_as(client, member)
    assert (await add_passkey(client, settings, SoftAuthenticator(settings.base_url))).is_success
    async with db.session() as s:
        only = await s.scalar(select(Passkey.id))

    refused = await post_form(client, "/account/passkeys", f"/account/passkeys/{only}/remove")

    assert refused.status_code == 409
    assert "This is your only way to sign in." in refused.text
    assert await _names(db, member.account_id) == ["Laptop"]
    await _with_password(db, member.account_id)
    allowed = await post_form(client, "/account/passkeys", f"/account/passkeys/{only}/remove")
    assert allowed.status_code == 303
    assert await _names(db, member.account_id) == []


async def test_another_members_passkey_is_neither_renamed_nor_removed(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    anna = await signed_in_member(db, settings, "anna")
    browse_as(client, anna)
    assert (await add_passkey(client, settings, SoftAuthenticator(settings.base_url))).is_success
    async with db.session() as s:
        annas = await s.scalar(select(Passkey.id))
    browse_as(client, await signed_in_member(db, settings, "bert"))

    await post_form(client, "/account/passkeys", f"/account/passkeys/{annas}/rename", name="x")
    await post_form(client, "/account/passkeys", f"/account/passkeys/{annas}/remove")

    assert await _names(db, anna.account_id) == ["Laptop"]


async def test_a_form_without_its_token_is_refused_with_a_page(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    browse_as(client, await signed_in_member(db, settings))
    await client.get("/account/passkeys")

    refused = await client.post("/account/passkeys/1/remove", data={"csrf": "forged"})
    swedish = await client.post("/account/passkeys/1/remove", data={}, headers=SV)

    assert refused.status_code == swedish.status_code == 403
    assert "This form has expired" in refused.text
    assert '<html lang="sv">' in swedish.text and "Formuläret har gått ut" in swedish.text


async def test_the_sign_in_page_offers_passkeys_to_scripts(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    page = await client.get("/signin?next=/account/passkeys")

    assert "data-passkey-signin" in page.text
    assert 'data-next="/account/passkeys"' in page.text
    assert 'src="/static/passkeys.js"' in page.text
    script = await client.get("/static/passkeys.js")
    assert script.status_code == 200 and "navigator.credentials.get" in script.text


async def test_the_passkey_pages_speak_swedish(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    signin = await client.get("/signin", headers=SV)
    assert '<html lang="sv">' in signin.text
    assert "Logga in med en nyckel" in signin.text
    browse_as(client, await signed_in_member(db, settings))
    assert (await add_passkey(client, settings, SoftAuthenticator(settings.base_url))).is_success

    page = await client.get("/account/passkeys", headers=SV)

    assert '<html lang="sv">' in page.text
    assert "Lägg till en nyckel" in page.text and "Byt namn" in page.text
    assert "Aldrig" in page.text  # never used yet
    options = await client.post(
        "/account/passkeys/verify", json={}, headers={"Origin": settings.base_url,
                                                      "X-CSRF-Token": csrf_of(page.text), **SV},
    )  # fmt: skip
    assert options.status_code == 400
    assert options.json()["error"].startswith("Den här begäran")
