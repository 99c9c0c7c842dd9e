"""Handles: one function builds them; the resolver keeps the domain WebFinger confirms (the port
kept, the subject's domain when it loops back), and actors without preferredUsername get one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartnode.actors.handles import derived_username, handle_of
from smartnode.actors.remote import remote_actor_from_ap, store_remote_actor
from smartnode.federation.webfinger_client import Handle, claimed_handle
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from tests.conftest import make_member
from tests.inbox import NOW, Fediverse, inbox_context

LOTTE = "https://be.smart.test:8443/members/lotte"
ALICE = "https://social.example/users/alice"
BRIDGED = "https://bridge.example/ap/did:plc:Zo%C3%AB42"


async def _row(db: Database, uri: str) -> Actor:
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == uri))
    assert row is not None
    return row


async def _resolve(db, settings, fediverse: Fediverse, uri: str, now=NOW) -> Actor | None:
    async with inbox_context(db, settings, fediverse, now) as ctx:
        return await ctx.resolver.actor(uri)


# --- the one function ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        (BRIDGED, "did_plc_Zoe42"),
        ("https://relay.example/actor/", "actor"),
        ("https://relay.example/", "relay.example"),
        ("https://x.example/u/%E6%97%A5%E6%9C%AC", "x.example"),  # nothing ASCII left: the host
        ("https://x.example/users/" + "a" * 80, "a" * 64),
        ("https://x.example/@bob?page=1#me", "bob"),
    ],
)
def test_a_name_is_derived_from_the_last_path_segment_in_ascii(uri: str, name: str) -> None:
    assert derived_username(uri) == name


async def test_local_actors_show_the_node_domain_and_remote_ones_their_own(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    assert handle_of(anna, "127.0.0.1:8500") == "@anna@127.0.0.1:8500"
    remote = Actor(uri=LOTTE, local=False, username="lotte", domain=None)
    assert handle_of(remote, "se.smart.test") == "@lotte@be.smart.test:8443"  # id's authority
    remote.domain = "be.smart.test:8443"
    assert handle_of(remote, "se.smart.test") == "@lotte@be.smart.test:8443"


def test_the_claimed_handle_keeps_the_port_and_prefers_fep_2c59() -> None:
    doc = {"preferredUsername": "lotte"}
    assert claimed_handle(doc, LOTTE) == Handle("lotte", "be.smart.test:8443")
    assert claimed_handle(doc, "https://be.example:443/u/lotte") == Handle("lotte", "be.example")
    doc["webfinger"] = "acct:Lotte@smart.test"
    assert claimed_handle(doc, LOTTE) == Handle("Lotte", "smart.test")
    assert claimed_handle({}, LOTTE) is None


# --- what the resolver keeps -----------------------------------------------------------------


async def test_an_actor_on_a_host_with_a_port_keeps_the_port(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(LOTTE, name="Lotte Vermeulen")
    actor = await _resolve(db, settings, fediverse, LOTTE)
    assert actor is not None
    assert Fediverse.fingered("lotte@be.smart.test:8443") in fediverse.fetched()
    row = await _row(db, LOTTE)
    assert (row.username, row.domain) == ("lotte", "be.smart.test:8443")
    assert handle_of(row, settings.domain) == "@lotte@be.smart.test:8443"


async def test_the_webfinger_domain_wins_when_it_loops_back(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(ALICE)  # social.example answers for alice@social.example …
    fediverse.finger("alice@social.example", ALICE, subject="acct:alice@example.com")
    fediverse.finger("alice@example.com", ALICE)  # … and example.com confirms it
    await _resolve(db, settings, fediverse, ALICE)
    row = await _row(db, ALICE)
    assert handle_of(row, settings.domain) == "@alice@example.com"


async def test_a_domain_that_does_not_confirm_the_actor_is_not_taken(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(ALICE, webfinger="alice@bank.example")  # claims a domain …
    fediverse.finger("alice@bank.example", "https://bank.example/users/alice")  # … not its own
    await _resolve(db, settings, fediverse, ALICE)
    row = await _row(db, ALICE)
    assert handle_of(row, settings.domain) == "@alice@social.example"
    assert row.fetched_at == NOW  # settled: not asked again before a day


async def test_an_actor_whose_webfinger_is_down_is_resolved_again_later(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    fediverse.finger("alice@social.example", ALICE, subject="acct:alice@example.com")
    fediverse.documents["webfinger example.com acct:alice@example.com"] = (503, {}, "text/plain")
    await _resolve(db, settings, fediverse, ALICE)
    row = await _row(db, ALICE)
    assert (row.domain, row.fetched_at) == ("social.example", None)  # shown by its host for now
    fediverse.finger("alice@example.com", ALICE)
    await _resolve(db, settings, fediverse, ALICE, NOW + timedelta(minutes=5))
    row = await _row(db, ALICE)
    assert (row.domain, row.fetched_at) == ("example.com", NOW + timedelta(minutes=5))


async def test_a_row_stored_without_its_port_is_corrected_when_refreshed(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(LOTTE)
    async with db.session() as s, s.begin():  # as rows were stored before handles kept ports
        data = remote_actor_from_ap(fediverse.documents[LOTTE][1])
        await store_remote_actor(s, data, NOW, handle=Handle("lotte", "be.smart.test"))
    await _resolve(db, settings, fediverse, LOTTE, NOW + timedelta(hours=1))
    assert (await _row(db, LOTTE)).domain == "be.smart.test"  # fresh rows are not refetched
    await _resolve(db, settings, fediverse, LOTTE, NOW + timedelta(days=2))
    assert (await _row(db, LOTTE)).domain == "be.smart.test:8443"


async def test_an_actor_stored_from_its_key_alone_is_resolved_on_first_use(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    fediverse.finger("alice@social.example", ALICE, subject="acct:alice@example.com")
    fediverse.finger("alice@example.com", ALICE)
    async with db.session() as s, s.begin():  # what the inbox edge stores after a key fetch
        await store_remote_actor(s, remote_actor_from_ap(fediverse.documents[ALICE][1]), NOW)
    row = await _row(db, ALICE)
    assert (row.domain, row.fetched_at) == ("social.example", None)
    await _resolve(db, settings, fediverse, ALICE)
    assert (await _row(db, ALICE)).domain == "example.com"


async def test_an_actor_without_preferred_username_is_stored_with_a_derived_name(
    db, settings
) -> None:
    fediverse = Fediverse()
    doc = fediverse.actor(BRIDGED, preferredUsername="")
    del doc["preferredUsername"]
    actor = await _resolve(db, settings, fediverse, BRIDGED)
    assert actor is not None
    assert handle_of(await _row(db, BRIDGED), settings.domain) == "@did_plc_Zoe42@bridge.example"
    assert not any("webfinger" in url for url in fediverse.fetched())  # no name to confirm


async def test_a_handle_lookup_finds_an_actor_without_preferred_username(db, settings) -> None:
    fediverse = Fediverse()
    doc = fediverse.actor(BRIDGED, preferredUsername="")
    del doc["preferredUsername"]
    fediverse.finger("zoe@bridge.example", BRIDGED)
    async with inbox_context(db, settings, fediverse) as ctx:
        found = await ctx.resolver.account("@zoe@bridge.example")
    assert found is not None and found.uri == BRIDGED
    assert handle_of(await _row(db, BRIDGED), settings.domain) == "@zoe@bridge.example"


async def test_a_handle_lookup_keeps_the_port(db, settings) -> None:
    fediverse = Fediverse()
    fediverse.actor(LOTTE)
    async with inbox_context(db, settings, fediverse) as ctx:
        found = await ctx.resolver.account("@lotte@be.smart.test:8443")
    assert found is not None and handle_of(found, settings.domain) == "@lotte@be.smart.test:8443"
