"""Arranging search tests: members, projects and calls in seven languages, and events, written
through the real services (the index follows by itself), and remote actors and calls as the
inbox stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.matching.search import Filters, SearchPage, search
from smartnode.storage.models import Actor, ContentObject
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
#: 00:30 on New Year's Day in Stockholm: still 31 December in UTC.
NEW_YEAR = datetime(2031, 1, 1, 0, 30, tzinfo=UTC) - timedelta(hours=1)
PLACE = {"name": "Malmö Opera", "locality": "Malmö", "country": "se"}


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


def event_input(**fields: Any) -> EventInput:
    return EventInput.model_validate({
        "name": "Nyårsjazz", "content": "Frijazz & <b>fyrverkerier</b> vid midnatt.",
        "starts_at": NEW_YEAR.isoformat(), "ends_at": (NEW_YEAR + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Stockholm", "place": PLACE, **fields,
    })  # fmt: skip


async def publish_event(db: Any, settings: Any, author: Actor, **fields: Any) -> ContentObject:
    """A public event (New Year's night in Malmö) made through the real service."""
    async with db.session() as s, s.begin():
        return await create_event(s, node_uris(settings), author=author,
                                  data=event_input(**fields), now=MOMENT)  # fmt: skip


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
