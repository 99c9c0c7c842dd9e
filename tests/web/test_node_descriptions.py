"""The node's description per language (SMARTNODE_NODE_DESCRIPTIONS): validated at start-up,
shown in the page's language with its own `lang` when it falls back, and given by language in
NodeInfo and the native API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from smartnode.app import create_app
from smartnode.config import Settings, load_settings
from smartnode.errors import ConfigError

SV, FR, EN = "Smart Sveriges nod.", "Le nœud suédois de Smart.", "The Swedish node of Smart."
HTML = {"Accept": "text/html"}


def node_settings(settings: Settings, **given: Any) -> Settings:
    """The test node's settings with the description settings `given`."""
    kept = ("domain", "base_url", "database_url", "data_dir", "node_name", "node_country",
            "secret_key")  # fmt: skip
    return load_settings(**{k: getattr(settings, k) for k in kept}, in_process_worker=False,
                         **given)  # fmt: skip


@asynccontextmanager
async def node(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url) as c,
    ):
        yield c


async def lead(client: httpx.AsyncClient, path: str, language: str) -> str:
    page = await client.get(path, headers={**HTML, "Accept-Language": language})
    assert page.status_code == 200 and f'<html lang="{language}">' in page.text
    [found] = [line for line in page.text.splitlines() if '<p class="lead"' in line]
    return found.strip()


def test_an_unknown_language_empty_text_or_bad_json_stops_the_node_with_a_clear_message(
    settings, monkeypatch
) -> None:
    with pytest.raises(ConfigError, match="'pt' is not a language of the node's pages"):
        node_settings(settings, node_descriptions={"sv": SV, "pt": "Nó"})
    with pytest.raises(ConfigError, match="the 'fr' text is empty"):
        node_settings(settings, node_descriptions={"fr": "  "})
    monkeypatch.setenv("SMARTNODE_NODE_DESCRIPTIONS", '{"sv": "unterminated')
    with pytest.raises(ConfigError, match="must be a JSON object of texts by language"):
        node_settings(settings)
    monkeypatch.setenv("SMARTNODE_NODE_DESCRIPTIONS", f'{{"FR": "{FR}", "en": "{EN}"}}')
    assert node_settings(settings).node_descriptions == {"fr": FR, "en": EN}


async def test_pages_show_the_viewers_language_and_mark_the_fallback(settings, db) -> None:
    given = node_settings(settings, language="sv", node_description=SV,
                          node_descriptions={"fr": FR, "en": EN})  # fmt: skip
    async with node(given) as client:
        for path in ("/", "/about"):
            assert await lead(client, path, "fr") == f'<p class="lead">{FR}</p>'
            assert await lead(client, path, "sv") == f'<p class="lead">{SV}</p>'
            assert await lead(client, path, "de") == f'<p class="lead" lang="sv">{SV}</p>'
        info = (await client.get("/nodeinfo/2.1")).json()["metadata"]
        about = (await client.get("/api/smart/v1/node")).json()
    assert info["nodeDescription"] == SV
    assert list(info["nodeDescriptions"].items()) == [("sv", SV), ("fr", FR), ("en", EN)]
    assert about["description"] == SV and about["descriptions"] == {"sv": SV, "fr": FR, "en": EN}


async def test_without_a_default_text_the_default_languages_entry_stands_in(settings, db) -> None:
    given = node_settings(settings, language="sv", node_descriptions={"sv": SV, "fr": FR})
    async with node(given) as client:
        assert await lead(client, "/", "it") == f'<p class="lead" lang="sv">{SV}</p>'
        assert (await client.get("/nodeinfo/2.1")).json()["metadata"]["nodeDescription"] == SV
    plain = node_settings(settings, language="sv")  # the built-in sentence is English
    async with node(plain) as client:
        assert await lead(client, "/", "sv") == (
            f'<p class="lead" lang="en">{plain.node_description}</p>'
        )
        assert await lead(client, "/", "en") == f'<p class="lead">{plain.node_description}</p>'
        assert "nodeDescriptions" not in (await client.get("/nodeinfo/2.1")).json()["metadata"]
