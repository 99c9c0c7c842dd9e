"""The account pages speak the viewer's language: their setting, else Accept-Language, else
the node's."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models_accounts import Account
from tests.accounts.account_support import member_with_password, post_form, sign_in


async def test_the_browser_language_then_the_members_own(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await member_with_password(db, settings, "anna")
    swedish = await client.get("/signin", headers={"accept-language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in swedish.text
    assert "Logga in på Smart Sverige" in swedish.text and "Glömt lösenordet?" in swedish.text
    assert "Hoppa till innehållet" in swedish.text  # the page around the form too

    client.headers["accept-language"] = "sv"
    await sign_in(client, "anna")
    chosen = await post_form(client, "/account", "/account/language", language="fr")
    assert chosen.status_code == 303
    page = await client.get(chosen.headers["location"])
    assert '<html lang="fr">' in page.text and "Votre langue est enregistrée." in page.text
    async with db.session() as s:
        assert await s.scalar(select(Account.ui_language)) == "fr"

    await post_form(client, "/account", "/account/language", language="")
    assert '<html lang="sv">' in (await client.get("/account")).text
    refused = await post_form(client, "/account", "/account/language", language="xx")
    assert refused.status_code == 422


async def test_the_nodes_language_when_the_browser_asks_for_none_we_speak(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    settings.language = "nl"
    page = await client.get("/signin", headers={"accept-language": "ja"})
    assert '<html lang="nl">' in page.text and "Wachtwoord vergeten?" in page.text


async def test_the_providers_button_shows_when_one_is_set(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert "/signin/provider" not in (await client.get("/signin")).text
    settings.oidc_issuer, settings.oidc_name = "https://id.smart.test", "Smart ID"
    page = await client.get("/signin?next=/account/apps", headers={"accept-language": "de"})
    assert "Smart ID" in page.text and "/signin/provider?next=/account/apps" in page.text
