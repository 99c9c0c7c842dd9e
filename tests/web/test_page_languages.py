"""Every public page in the viewer's language: a signed-in member's setting, else the
switcher's cookie, else Accept-Language, else the node's default; `<html lang>`,
Content-Language and Vary on the wire; the switcher keeps to local paths."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from smartnode.accounts.accounts import set_ui_language
from smartnode.actors.records import find_local_actor
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.models_accounts import Account
from smartnode.web.viewer import language_cookie_name
from tests.accounts.account_support import member_with_password, sign_in
from tests.api.threads import post
from tests.conftest import make_member, make_project
from tests.content import member_headers
from tests.matching.feeds_arrange import feed
from tests.web.test_event_page import publish

HTML = "text/html"
_HTML_LANG = re.compile(r'<html lang="([a-z]+)">')
_SWITCHER = re.compile(r'<nav class="languages" aria-label="[^"]+">(.*?)</nav>', re.S)


async def arrange(db, settings, app, client) -> dict[str, str]:
    """A listed member with a bio, a project, a post, an event and a topic feed."""
    anna = await make_member(
        db, settings, "anna", name="Anna Lindqvist", summary="<p>Ljuddesign</p>",
        language="sv", country="SE", city="Malmö", languages=["sv", "en"],
        skills=["sound design"], discoverable=True, indexable=True,
    )  # fmt: skip
    await make_project(db, settings, "Malmö Opera", coordinator="anna", sectors=["opera"])
    note = await post(client, await member_headers(db, anna), "anna", content="Hej alla!")
    event = await publish(db, settings, app, "anna")
    await feed(db, settings, "calls-music", sector="music")
    return {"note": note["uri"], "event": event.uri}


def path_of(uri: str) -> str:
    return "/" + uri.split("/", 3)[3]


async def get(client: httpx.AsyncClient, path: str, language: str | None = None) -> httpx.Response:
    headers = {"Accept": HTML, **({"Accept-Language": language} if language else {})}
    return await client.get(path, headers=headers)


def assert_in_language(response: httpx.Response, language: str) -> None:
    """The page says its language in <html lang> and Content-Language, and varies by it."""
    assert _HTML_LANG.search(response.text)[1] == language  # type: ignore[index]
    assert response.headers["content-language"] == language
    vary = {v.strip() for v in response.headers["vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


#: Each public page and, per language, words only that language's page shows.
WORDS: dict[str, dict[str, list[str]]] = {
    "/": {"fr": ["Membres"], "sv": ["Medlemmar"]},
    "/members": {
        "fr": ["Les membres qui ont choisi de figurer dans l’annuaire."],
        "sv": ["Medlemmar som har valt att synas i katalogen."],
    },
    "/projects": {"fr": ["<h1>Projets</h1>"], "sv": ["<h1>Projekt</h1>"]},
    "/members/anna": {
        "fr": ["Compétences", "suédois, anglais", 'lang="sv"'],
        "sv": ["Kompetenser", "svenska, engelska"],
    },
    "/projects/malmo-opera": {"fr": ["Projets"], "sv": ["Projekt"]},
    "/about": {"fr": ["Compte du nœud", "Logiciel"], "sv": ["Nodens konto", "Programvara"]},
    "/search?q=ljud": {
        "fr": ["Membres, projets, appels, événements"],
        "sv": ["Medlemmar, projekt, utlysningar, evenemang"],
    },
    "/tags/opera": {"fr": ["Membres"], "sv": ["Medlemmar"]},
    "/feeds/calls-music": {
        "fr": ["Derniers appels ouverts", "Aucun appel ouvert"],
        "sv": ["Senaste öppna utlysningarna", "Ingen öppen utlysning"],
    },
    "note": {"fr": ["0 réponse", "0 partage"], "sv": ["0 svar", "0 boostar"]},
    "event": {
        "fr": ["Quand", "Participation après acceptation", "jusqu’à 80 personnes"],
        "sv": ["När", "Deltagande efter godkännande", "högst 80 personer"],
    },
}


@pytest.mark.parametrize("language", ["fr", "sv"])
async def test_every_public_page_speaks_the_browser_language(
    client, db, settings, app, language
) -> None:
    made = await arrange(db, settings, app, client)
    for where, words in WORDS.items():
        path = path_of(made[where]) if where in made else where
        response = await get(client, path, f"{language}-BE,{language};q=0.9,en;q=0.5")
        assert response.status_code == 200, (path, response.text)
        assert_in_language(response, language)
        for word in words[language]:
            assert word in response.text, (path, word)


@pytest.mark.parametrize(
    ("language", "heading", "nobody"),
    [
        ("fr", "Introuvable", "Personne ne porte ce nom ici."),
        ("sv", "Hittades inte", "Det finns ingen här med det namnet."),
    ],
)
async def test_the_not_found_pages_are_translated(client, db, language, heading, nobody) -> None:
    response = await get(client, "/tags/no-such!tag", language)
    assert response.status_code == 404
    assert_in_language(response, language)
    assert f"<h1>{heading}</h1>" in response.text
    missing = await get(client, "/members/nobody", language)
    assert missing.status_code == 404 and nobody in missing.text
    assert_in_language(missing, language)


@pytest.mark.parametrize(
    ("language", "when"),
    [
        ("fr", "samedi 7 décembre 2030, 19:00–22:00 (heure normale d’Europe centrale)"),
        ("sv", "lördag 7 december 2030 19:00–22:00 (centraleuropeisk normaltid)"),
        ("de", "Samstag, 7. Dezember 2030, 19:00–22:00 (Mitteleuropäische Normalzeit)"),
    ],
)
async def test_event_time_is_written_by_babel_in_the_event_zone(
    client, db, settings, app, language, when
) -> None:
    await make_member(db, settings, "anna", language="en")
    event = await publish(db, settings, app, "anna")  # 18:00 UTC, Europe/Stockholm
    response = await get(client, path_of(event.uri), language)
    assert when in response.text
    assert 'datetime="2030-12-07T19:00:00+01:00"' in response.text


@pytest.mark.parametrize(
    ("language", "words"),
    [("de", "bis zu 1.200 Personen"), ("fr", "jusqu’à 1\u202f200 personnes"),
     ("en", "up to 1,200 people"), ("sv", "högst 1\xa0200 personer")],
)  # fmt: skip
async def test_numbers_are_written_by_babel(client, db, settings, app, language, words) -> None:
    await make_member(db, settings, "anna", language="sv")
    event = await publish(db, settings, app, "anna", capacity=1200)
    response = await get(client, path_of(event.uri), language)
    assert words in response.text


async def test_no_accept_language_gets_the_node_default(db, settings) -> None:
    swedish = settings.model_copy(update={"language": "sv"})
    app = create_app(swedish)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as c:
            response = await get(c, "/members")
            french = await get(c, "/members", "fr")
    assert_in_language(response, "sv")
    assert "Medlemmar som har valt" in response.text
    assert_in_language(french, "fr")


def test_default_language_setting_and_its_older_name(monkeypatch) -> None:
    monkeypatch.setenv("SMARTNODE_LANGUAGE", "fr")
    assert Settings().language == "fr"
    monkeypatch.setenv("SMARTNODE_DEFAULT_LANGUAGE", "nl")
    assert Settings().language == "nl"
    monkeypatch.delenv("SMARTNODE_LANGUAGE")
    monkeypatch.setenv("SMARTNODE_DEFAULT_LANGUAGE", "xx")
    with pytest.raises(ValueError, match="SMARTNODE_DEFAULT_LANGUAGE"):
        Settings()


async def test_the_switcher_names_each_language_in_itself_and_marks_the_current(client, db) -> None:
    response = await get(client, "/members?after=3", "fr")
    [switcher] = _SWITCHER.findall(response.text)
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+" rel="nofollow"([^>]*)>'
                       r"([^<]+)</a>", switcher)  # fmt: skip
    assert [(lang, name) for _, lang, _, name in links] == [
        ("en", "English"), ("sv", "svenska"), ("fr", "français"), ("nl", "Nederlands"),
        ("de", "Deutsch"), ("it", "italiano"), ("es", "español"),
    ]  # fmt: skip
    assert [lang for _, lang, current, _ in links if 'aria-current="true"' in current] == ["fr"]
    assert links[1][0] == "/language?set=sv&amp;next=/members%3Fafter%3D3"
    assert 'aria-label="Langue du site"' in response.text


async def test_the_switcher_keeps_a_visitor_choice_in_a_cookie(client, db, settings) -> None:
    chosen = await client.get("/language", params={"set": "sv", "next": "/members?after=3"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/members?after=3"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith(f"{language_cookie_name(settings)}=sv;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    response = await get(client, "/members", "fr,en;q=0.5")  # the cookie beats the browser
    assert_in_language(response, "sv")
    ignored = await client.get("/language", params={"set": "xx", "next": "/about"})
    assert ignored.status_code == 303 and "set-cookie" not in ignored.headers


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
        "javascript:alert(1)", "evil.example", "/%0a/evil.example\n", " /x", "",
    ],
)  # fmt: skip
async def test_the_switcher_never_sends_anyone_to_another_site(client, db, target) -> None:
    response = await client.get("/language", params={"set": "de", "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def _account(db, username: str) -> Account:
    async with db.session() as s:
        actor = await find_local_actor(s, username)
        assert actor is not None
        account = await s.scalar(select(Account).where(Account.actor_id == actor.id))
        assert account is not None
        return account


@pytest.fixture
async def signed_in(client, db, settings) -> AsyncIterator[httpx.AsyncClient]:
    await member_with_password(db, settings, "anna")
    async with db.session() as s, s.begin():
        account = await s.merge(await _account(db, "anna"))
        await set_ui_language(s, account, "it", datetime.now(UTC))
    response = await sign_in(client, "anna")
    assert response.status_code == 303, response.text
    yield client


async def test_a_member_setting_beats_cookie_and_browser(signed_in, db, settings) -> None:
    signed_in.cookies.set(language_cookie_name(settings), "sv", domain="se.smart.test")
    response = await get(signed_in, "/about", "fr")
    assert_in_language(response, "it")
    assert 'href="/account"' in response.text  # the page knows its viewer signed in


async def test_the_switcher_changes_a_member_setting(signed_in, db) -> None:
    response = await signed_in.get("/language", params={"set": "de", "next": "/about"},
                                   headers={"Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/about"
    assert (await _account(db, "anna")).ui_language == "de"
    assert_in_language(await get(signed_in, "/about", "fr"), "de")


async def test_a_link_from_another_site_leaves_the_member_setting(signed_in, db) -> None:
    response = await signed_in.get("/language", params={"set": "es", "next": "/"},
                                   headers={"Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert response.status_code == 303
    assert (await _account(db, "anna")).ui_language == "it"
