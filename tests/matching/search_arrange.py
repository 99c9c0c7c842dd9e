"""Arranging search tests: members, projects and calls in seven languages, written through the
real services (the index follows by itself), and remote actors and calls as the inbox stores
them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from smartnode.matching.search import Filters, SearchPage, search
from smartnode.storage.models import Actor
from smartnode.storage.models_search import SearchDocument
from tests.matching.arrange import (
    COMPOSE,
    LIVE_SOUND,
    MIX,
    call_row,
    member_with_profile,
    project,
    seed_taxonomy,
)

MOMENT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OPTED_IN = {"listed": True, "indexable": True}


def profile(*skills: str, country: str = "", city: str = "", **more: Any) -> dict[str, Any]:
    return {
        "skills": [{"uri": uri, "level": 3} for uri in skills],
        "location": {"country": country, "city": city},
        "opt_ins": more.pop("opt_ins", OPTED_IN),
        **more,
    }


async def seven_members(db: Any, settings: Any) -> dict[str, Actor]:
    """One member per language, each with a bio in their language."""
    await seed_taxonomy(db)
    people = {
        "sv": ("astrid", "Astrid Ljung", "Ljudtekniker och kompositör i Malmö.", "SE", "Malmö",
               (COMPOSE, MIX)),
        "fr": ("camille", "Camille Roux", "Chorégraphe et danseuse contemporaine.", "FR", "Lyon",
               ()),
        "de": ("jonas", "Jonas Becker", "Bühnenbildner und Lichtgestalter.", "DE", "Köln", ()),
        "nl": ("sanne", "Sanne de Vries", "Geluidstechnicus voor festivals.", "NL", "Utrecht",
               (LIVE_SOUND,)),
        "it": ("giulia", "Giulia Bianchi", "Fotografa di scena e ritrattista.", "IT", "Torino",
               ()),
        "es": ("lucia", "Lucía Fernández", "Ilustradora y diseñadora gráfica.", "ES", "Sevilla",
               ()),
        "en": ("oliver", "Oliver Grant", "Documentary filmmaker and editor.", "BE", "Brussels",
               ()),
    }  # fmt: skip
    made = {}
    for lang, (username, name, bio, country, city, skills) in people.items():
        made[lang] = await member_with_profile(
            db, settings, username, profile(*skills, country=country, city=city),
            name=name, summary=bio, language=lang,
        )  # fmt: skip
    return made


async def found(db: Any, q: str, filters: Filters = Filters(), **kw: Any) -> SearchPage:
    async with db.session() as s:
        return await search(s, q, filters, **kw)


async def uris(db: Any, q: str, filters: Filters = Filters(), **kw: Any) -> list[str]:
    return [hit.uri for hit in (await found(db, q, filters, **kw)).hits]


async def documents(db: Any) -> dict[str, str]:
    """uri → kind of every document in the index."""
    async with db.session() as s:
        rows = await s.execute(select(SearchDocument.uri, SearchDocument.kind))
    return {uri: kind for uri, kind in rows}


__all__ = ["COMPOSE", "LIVE_SOUND", "MIX", "call_row", "project"]
