"""An open call's Note ends with how to apply from Mastodon, in each version's language: a
private reply to the project, whose handle is a mention link Mastodon resolves (a Mention tag
names the project, and the link's href is the project's `url`). Closed or filled, the line and
the Mention are gone: the status line says so."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from smartnode.content.calls_wording import apply_html
from smartnode.content.compose import plain_text
from tests.conftest import make_member, make_project
from tests.content import member_headers, node_client
from tests.inbox import Fediverse

AP = {"Accept": "application/activity+json"}
HANDLE = "@malmo-opera@se.smart.test"
LINES = {
    "en": "To apply from Mastodon, reply to this post with a private mention (a direct message) "
    f"to {HANDLE}.",
    "sv": "För att söka via Mastodon svarar du på det här inlägget med ett privat omnämnande "
    f"(direktmeddelande) till {HANDLE}.",
    "fr": "Pour postuler depuis Mastodon, répondez à cette publication par une mention privée "
    f"(message direct) à {HANDLE}.",
    "nl": f"Wil je via Mastodon solliciteren? Reageer dan op dit bericht met een privébericht aan "
    f"{HANDLE}.",
    "de": "Um dich über Mastodon zu bewerben, antworte auf diesen Beitrag mit einer privaten "
    f"Erwähnung (Direktnachricht) an {HANDLE}.",
    "it": "Per candidarti da Mastodon, rispondi a questo post con una menzione privata "
    f"(messaggio diretto) a {HANDLE}.",
    "es": "Para presentar tu candidatura desde Mastodon, responde a esta publicación con una "
    f"mención privada (mensaje directo) a {HANDLE}.",
}


@pytest.fixture
async def api(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


@pytest.fixture
async def opera(db, settings, api):
    """anna coordinates Malmö Opera (Swedish); returns the project and her headers."""
    anna = await make_member(db, settings, "anna", language="sv")
    project = await make_project(db, settings, "Malmö Opera", "anna", language="sv")
    return project, await member_headers(db, anna)


async def publish(api, project, headers, language: str, others: dict[str, str]) -> dict:
    body = {"title": "Dresser", "description": "One dresser. #Opera", "language": language,
            "content_map": others, "place": {"country": "SE"}, "hashtags": ["tour"]}  # fmt: skip
    response = await api.post(f"/api/smart/v1/actors/{project.username}/calls", json=body,
                              headers=headers)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def served(api, call: dict) -> dict:
    response = await api.get(f"/calls/{call['id']}", headers=AP)
    assert response.status_code == 200
    return response.json()


def last_paragraph(html: str) -> str:
    return html[html.rindex("<p>") :]


def assert_mention_link(html: str, project_uri: str) -> None:
    """The handle is a link as Mastodon writes a mention, to the project's `url`."""
    last = last_paragraph(html)
    assert f'<a href="{project_uri}" class="u-url mention"' in last
    assert "@<span>malmo-opera@se.smart.test</span></a>" in last


@pytest.mark.parametrize(
    ("language", "others"),
    [("sv", {"en": "One dresser.", "fr": "Un habilleur."}), ("fr", {}), ("en", {"de": "Eine"})],
)
async def test_an_open_call_ends_with_how_to_apply_from_mastodon_in_each_language(
    api, opera, language, others
) -> None:
    project, anna = opera
    doc = await served(api, await publish(api, project, anna, language, others))

    assert plain_text(doc["content"]).endswith(LINES[language])
    assert_mention_link(doc["content"], project.uri)
    assert list(doc["contentMap"]) == [language, *others]
    for lang, html in doc["contentMap"].items():
        assert plain_text(html).endswith(LINES[lang]), lang
        assert_mention_link(html, project.uri)
        assert sum(line in plain_text(html) for line in LINES.values()) == 1
    mention = {"type": "Mention", "href": project.uri, "name": HANDLE}
    assert mention in doc["tag"] and doc["url"] == doc["id"]
    actor = (await api.get(f"/projects/{project.username}", headers=AP)).json()
    assert actor["url"] == mention["href"]  # Mastodon links the mention to this account


@pytest.mark.parametrize(("action", "status"), [("close", "Status: stängd"),
                                                ("fill", "Status: tillsatt")])  # fmt: skip
async def test_a_closed_or_filled_call_no_longer_says_how_to_apply(
    api, opera, action, status
) -> None:
    project, anna = opera
    call = await publish(api, project, anna, "sv", {"en": "One dresser."})
    done = await api.post(f"/api/smart/v1/calls/{call['id']}/{action}", headers=anna)
    assert done.status_code == 200
    doc = await served(api, call)
    for html in [doc["content"], *doc["contentMap"].values()]:
        assert not any(line in plain_text(html) for line in LINES.values())
        assert "u-url mention" not in html
    assert status in plain_text(doc["content"])
    assert "Status: closed" in plain_text(doc["contentMap"]["en"]) or action == "fill"
    assert all(tag["type"] != "Mention" for tag in doc["tag"])

    reopened = await api.post(f"/api/smart/v1/calls/{call['id']}/reopen", headers=anna)
    assert reopened.status_code == 200
    doc = await served(api, call)
    assert plain_text(doc["content"]).endswith(LINES["sv"])
    assert plain_text(doc["contentMap"]["en"]).endswith(LINES["en"])


def test_the_apply_line_is_written_in_every_language_of_the_node_and_english_otherwise() -> None:
    url = "https://se.smart.test/projects/malmo-opera"
    for language, line in LINES.items():
        assert plain_text(apply_html(language, HANDLE, url)) == line
    assert plain_text(apply_html("fr-BE", HANDLE, url)) == LINES["fr"]
    assert plain_text(apply_html("fi", HANDLE, url)) == LINES["en"]
    assert plain_text(apply_html(None, HANDLE, url)) == LINES["en"]
    hostile = apply_html("en", '@x"><script>@evil', url)
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
