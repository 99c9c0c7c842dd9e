"""Full-text search: seven languages, ESCO labels across languages, compounds, facets, privacy,
remote actors and calls, hostile queries. Rows are written through the real services; the
index follows by itself (the session listener)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.members import delete_actor, update_member
from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.errors import ValidationFailed
from smartnode.federation.uris import ActorKind
from smartnode.matching.search import Filters
from smartnode.matching.search_index import reindex, reindex_all
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_search import SearchDocument, SearchFacet
from tests.conftest import make_member, make_project
from tests.inbox import AS, NOW, Fediverse, receive
from tests.matching.arrange import member_with_profile, seed_taxonomy
from tests.matching.search_arrange import (
    COMPOSE,
    LIVE_SOUND,
    MIX,
    call_row,
    documents,
    found,
    profile,
    project,
    seven_members,
    uris,
)

REMOTE_PERSON = "https://mastodon.example/users/mika"
REMOTE_GROUP = "https://be.smart.example/projects/la-monnaie"


async def test_each_language_finds_its_member(db, settings) -> None:
    members = await seven_members(db, settings)
    queries = {
        "sv": "kompositör", "fr": "chorégraphe", "de": "Lichtgestalter", "nl": "festivals",
        "it": "ritrattista", "es": "ilustradora", "en": "documentary",
    }  # fmt: skip
    for lang, q in queries.items():
        assert await uris(db, q, viewer_language=lang) == [members[lang].uri], q
    # Accents and case do not matter.
    assert await uris(db, "KOMPOSITOR", viewer_language="en") == [members["sv"].uri]
    assert await uris(db, "choregraphe") == [members["fr"].uri]


async def test_stemming_in_the_viewers_language(db, settings) -> None:
    members = await seven_members(db, settings)
    # "festival" (singular) finds the Dutch "festivals"; "filmmakers" the English "filmmaker".
    assert members["nl"].uri in await uris(db, "festival", viewer_language="nl")
    assert members["en"].uri in await uris(db, "filmmaker", viewer_language="en")


@pytest.mark.parametrize(
    ("q", "lang"),
    [("composer de la musique", "fr"), ("Musik komponieren", "de"), ("componer música", "es"),
     ("comporre musica", "it"), ("muziek componeren", "nl"), ("compose music", "en")],
)  # fmt: skip
async def test_an_esco_label_in_any_language_finds_the_swedish_member(
    db, settings, q: str, lang: str
) -> None:
    members = await seven_members(db, settings)
    page = await found(db, q, viewer_language=lang)
    assert page.hits[0].uri == members["sv"].uri
    assert COMPOSE in page.hits[0].skills
    assert page.hits[0].kind == "member" and page.hits[0].language == "sv"


async def test_compounds_are_found_by_their_parts(db, settings) -> None:
    members = await seven_members(db, settings)
    assert await uris(db, "tekniker", viewer_language="sv") == [members["sv"].uri]
    assert await uris(db, "gestalter", viewer_language="de") == [members["de"].uri]
    assert members["nl"].uri in await uris(db, "technicus", viewer_language="nl")


async def test_every_part_must_be_found_and_a_typo_finds_words_alike_on_postgresql(
    db, settings
) -> None:
    members = await seven_members(db, settings)
    assert await uris(db, "tekniker", viewer_language="sv") == [members["sv"].uri]
    assert await uris(db, "tekniker zzzq", viewer_language="sv") == []  # every part, as written
    typo = await uris(db, "ljudteknikr", viewer_language="sv")  # nothing matches as written
    assert typo == ([] if settings.is_sqlite else [members["sv"].uri])


async def test_facets_count_the_result_set_and_filters_narrow_it(db, settings) -> None:
    members = await seven_members(db, settings)
    page = await found(db, "", Filters(kinds=["member"]))
    assert page.total == 7
    facets = {name: {f.value: f.count for f in values} for name, values in page.facets.items()}
    assert facets["kind"] == {"member": 7}
    assert facets["country"] == {c: 1 for c in ("SE", "FR", "DE", "NL", "IT", "ES", "BE")}
    assert facets["skill"] == {COMPOSE: 1, MIX: 1, LIVE_SOUND: 1}
    assert facets["language"]["sv"] == 1 and facets["remote"] == {"false": 7}
    labels = {f.value: f.label for f in page.facets["skill"]}
    assert labels[COMPOSE] == "compose music"  # labels in the viewer's language
    page = await found(db, "", Filters(skills=[COMPOSE, LIVE_SOUND]), viewer_language="fr")
    assert {h.uri for h in page.hits} == {members["sv"].uri, members["nl"].uri}
    assert {f.value: f.label for f in page.facets["skill"]}[COMPOSE] == "composer de la musique"
    assert await uris(db, "", Filters(country="IT")) == [members["it"].uri]
    assert await uris(db, "", Filters(language="es")) == [members["es"].uri]
    assert await uris(db, "", Filters(remote=True)) == []


async def test_opted_out_members_are_never_found_and_opting_out_removes(db, settings) -> None:
    await seven_members(db, settings)
    shy = await member_with_profile(
        db, settings, "shy", profile(COMPOSE, opt_ins={"listed": True}), name="Zorblax Quiet"
    )
    assert await uris(db, "Zorblax") == [] and shy.uri not in await documents(db)
    async with db.session() as s, s.begin():
        await update_member(s, "shy", MemberUpdate(indexable=True), NOW)
    assert await uris(db, "Zorblax") == [shy.uri]
    async with db.session() as s, s.begin():
        await update_member(s, "shy", MemberUpdate(discoverable=False), NOW)
    assert await uris(db, "Zorblax") == [] and shy.uri not in await documents(db)
    page = await found(db, "", Filters(skills=[COMPOSE]))
    assert [h.uri for h in page.hits] != [] and shy.uri not in [h.uri for h in page.hits]
    assert {f.value: f.count for f in page.facets["skill"]}[COMPOSE] == 1


async def test_a_rolled_back_change_leaves_the_index_alone(db, settings) -> None:
    members = await seven_members(db, settings)
    with pytest.raises(RuntimeError):
        async with db.session() as s, s.begin():
            await update_member(s, "astrid", MemberUpdate(indexable=False), NOW)
            await s.flush()
            raise RuntimeError("changed my mind")
    assert await uris(db, "kompositör") == [members["sv"].uri]


async def test_deleted_members_and_projects_disappear(db, settings) -> None:
    members = await seven_members(db, settings)
    opera = await project(db, settings, "Malmö Opera", "astrid")
    assert await uris(db, "opera", Filters(kinds=["project"])) == [opera.uri]
    assert (await documents(db))[opera.uri] == "project"
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.PROJECT, opera.username, NOW)
        await delete_actor(s, ActorKind.MEMBER, "camille", NOW)
    assert await uris(db, "opera", Filters(kinds=["project"])) == []
    assert await uris(db, "chorégraphe") == []
    assert set(await documents(db)) == {m.uri for k, m in members.items() if k != "fr"}


async def test_public_calls_are_found_until_deleted(db, settings) -> None:
    await seven_members(db, settings)
    opera = await project(db, settings, "Malmö Opera", "astrid")
    terms = {"skills": [{"uri": MIX, "name": "mixa flerspårsinspelningar"}], "country": "SE",
             "city": "Malmö", "languages": ["sv", "en"], "remote": True,
             "starts_on": "2027-03-01", "ends_on": "2027-03-31"}  # fmt: skip
    text = "Vi söker en ljudtekniker för våren. Tom & Jerry <inte> taggar."
    call = await call_row(db, opera, terms, name="Ljudtekniker till Tosca", token="c1", text=text)
    await call_row(db, opera, {}, name="Hemlig repetition", token="c2")
    async with db.session() as s, s.begin():
        hidden = await s.scalar(select(ContentObject).where(ContentObject.name.like("Hemlig%")))
        assert hidden is not None
        hidden.visibility = "followers"
    assert await uris(db, "Hemlig") == []
    page = await found(db, "tosca", Filters(kinds=["call"]))
    assert [h.uri for h in page.hits] == [call.uri]
    hit = page.hits[0]
    assert hit.title == "Ljudtekniker till Tosca" and hit.remote and hit.country == "SE"
    assert "&amp;" in hit.snippet and "<" not in hit.snippet
    # The French label of the ESCO skill the call asks for finds it.
    assert call.uri in await uris(db, "mixer des enregistrements", viewer_language="fr")
    in_march = Filters(kinds=["call"], date_from=date(2027, 3, 15), date_to=date(2027, 4, 1))
    assert await uris(db, "", in_march) == [call.uri]
    assert await uris(db, "", Filters(kinds=["call"], date_from=date(2027, 5, 1))) == []
    assert await uris(db, "", Filters(kinds=["call"], remote=True)) == [call.uri]
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, call.id)
        assert row is not None
        row.deleted_at = NOW
    assert await uris(db, "tosca") == [] and call.uri not in await documents(db)


async def _remote_world(db, settings) -> tuple[Fediverse, Actor]:
    await seed_taxonomy(db)
    fediverse = Fediverse()
    doc = fediverse.actor(REMOTE_PERSON, name="Mika Häkkinen", discoverable=True,
                          summary="<p>Valosuunnittelija, lighting designer.</p>")  # fmt: skip
    hidden = fediverse.actor(
        "https://mastodon.example/users/hidden", name="Hidden Valosuunnittelija"
    )
    group = fediverse.actor(REMOTE_GROUP, type="Group", name="La Monnaie", discoverable=True)
    async with db.session() as s, s.begin():
        for document in (doc, hidden, group):
            stored = await store_remote_actor(s, remote_actor_from_ap(document), NOW)
        monnaie = stored
    return fediverse, monnaie


async def test_remote_actors_and_calls_are_found_until_deleted(db, settings) -> None:
    fediverse, monnaie = await _remote_world(db, settings)
    assert await uris(db, "valosuunnittelija") == [REMOTE_PERSON]  # not the undiscoverable one
    assert await uris(db, "monnaie", Filters(kinds=["project"], local=False)) == [REMOTE_GROUP]
    call = await call_row(db, monnaie, {"country": "BE", "skills": [{"uri": COMPOSE}]},
                          name="Compositeur·rice pour Carmen", token="r1", local=False)  # fmt: skip
    page = await found(db, "carmen", viewer_language="fr")
    assert [(h.uri, h.local, h.kind) for h in page.hits] == [(call.uri, False, "call")]
    assert call.uri in await uris(db, "komponera musik", viewer_language="sv")
    bye = {"@context": AS, "id": f"{REMOTE_GROUP}#delete-r1", "type": "Delete",
           "actor": REMOTE_GROUP, "object": call.uri, "to": [f"{AS}#Public"]}  # fmt: skip
    await receive(db, settings, fediverse, bye)
    assert await uris(db, "carmen") == []
    gone = {"@context": AS, "id": f"{REMOTE_PERSON}#delete", "type": "Delete",
            "actor": REMOTE_PERSON, "object": REMOTE_PERSON, "to": [f"{AS}#Public"]}  # fmt: skip
    await receive(db, settings, fediverse, gone)
    assert await uris(db, "valosuunnittelija") == []
    assert set(await documents(db)) == {REMOTE_GROUP}


HOSTILE = [
    '"', '""', "NEAR(", "NEAR(a b", "*", "a*", "-", "-tekniker", "a AND OR NOT b", "OR",
    "title:tekniker", "^tekniker", "(((", ")", "{x}", "'; DROP TABLE actors; --", "%", "_",
    "\\", "<script>alert(1)</script>", "!!!", ":*", "&|!", "tekniker:*", "\x00", "🎻 violin",
    "x" * 200, "a " * 100, "ljud-tekniker", "\"kompositör", "+astrid", "~", "a <-> b",
]  # fmt: skip


async def test_hostile_queries_never_raise(db, settings) -> None:
    members = await seven_members(db, settings)
    for q in HOSTILE:
        page = await found(db, q)
        assert isinstance(page.hits, list), q
    assert members["sv"].uri in await uris(db, "-tekniker")  # only words are searched
    assert members["sv"].uri in await uris(db, '"kompositör')
    with pytest.raises(ValidationFailed, match="q: at most 200"):
        await found(db, "x" * 201)
    for bad in ({"limit": 0}, {"limit": 51}, {"after": "x"}, {"after": "-1"}):
        with pytest.raises(ValidationFailed):
            await found(db, "a", **bad)
    with pytest.raises(ValidationFailed, match="kind"):
        await found(db, "a", Filters(kinds=["robot"]))
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Actor)) == 7


async def test_pages_follow_the_cursor(db, settings) -> None:
    await seven_members(db, settings)
    first = await found(db, "", limit=3)
    second = await found(db, "", limit=3, after=first.next)
    third = await found(db, "", limit=3, after=second.next)
    seen = [h.uri for page in (first, second, third) for h in page.hits]
    assert len(seen) == len(set(seen)) == 7 and third.next is None


async def test_reindex_all_rebuilds_what_the_listener_wrote(db, settings) -> None:
    members = await seven_members(db, settings)
    await make_project(db, settings, "Kölner Bühne", "jonas")
    await make_member(db, settings, "nobody", name="Not Opted In")
    before = await documents(db)
    async with db.session() as s, s.begin():
        facets = len((await s.execute(select(SearchFacet))).all())
        await s.execute(delete(SearchDocument))
    assert await documents(db) == {} and await uris(db, "kompositör") == []
    async with db.session() as s, s.begin():
        assert await reindex_all(s) == len(before) == 8
    assert await documents(db) == before
    async with db.session() as s:
        assert len((await s.execute(select(SearchFacet))).all()) == facets
    assert await uris(db, "kompositör") == [members["sv"].uri]
    async with db.session() as s, s.begin():
        await s.execute(delete(SearchDocument))
        await reindex(s, "member", members["sv"].id)
        with pytest.raises(ValidationFailed):
            await reindex(s, "robot", 1)
    assert await documents(db) == {members["sv"].uri: "member"}


async def test_counters_and_fetch_bookkeeping_leave_documents_alone(db, settings) -> None:
    """A Like or a reply count on a call, or a refetch that changes nothing a document shows,
    does not rewrite the document (an edit does): each rewrite costs every index a write."""
    _, monnaie = await _remote_world(db, settings)
    await make_member(db, settings, "astrid")
    opera = await project(db, settings, "Malmö Opera", "astrid")
    call = await call_row(db, opera, {}, name="Ljudtekniker till Tosca", token="c9")

    async def mark(uri: str) -> None:  # a marker only a rewrite of the document would remove
        async with db.session() as s, s.begin():
            doc = await s.scalar(select(SearchDocument).where(SearchDocument.uri == uri))
            assert doc is not None
            doc.title = "MARKED"

    async def title(uri: str) -> str:
        async with db.session() as s:
            return str(
                await s.scalar(select(SearchDocument.title).where(SearchDocument.uri == uri))
            )

    await mark(call.uri)
    await mark(REMOTE_GROUP)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, call.id)
        row.likes_count, row.replies_count, row.updated_at = 3, 2, NOW
        remote = await s.get(Actor, monnaie.id)
        remote.fetched_at, remote.updated_at, remote.inbox_uri = NOW, NOW, f"{REMOTE_GROUP}/in"
    assert (await title(call.uri), await title(REMOTE_GROUP)) == ("MARKED", "MARKED")
    async with db.session() as s, s.begin():
        (await s.get(ContentObject, call.id)).name = "Ljudtekniker till Carmen"
        (await s.get(Actor, monnaie.id)).name = "La Monnaie / De Munt"
    assert await title(call.uri) == "Ljudtekniker till Tosca"  # rewritten (its terms' title)
    assert await title(REMOTE_GROUP) == "La Monnaie / De Munt"
