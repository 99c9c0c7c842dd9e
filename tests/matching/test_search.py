"""Full-text search: seven languages, ESCO labels across languages, compounds, facets, privacy."""

from __future__ import annotations

from tests.matching.search_arrange import seven_members, uris


async def test_each_language_finds_its_member(db, settings) -> None:
    members = await seven_members(db, settings)
    queries = {
        "sv": "kompositör", "fr": "chorégraphe", "de": "Lichtgestalter", "nl": "festivals",
        "it": "ritrattista", "es": "ilustradora", "en": "documentary",
    }  # fmt: skip
    for lang, q in queries.items():
        assert await uris(db, q, viewer_language=lang) == [members[lang].uri], q
