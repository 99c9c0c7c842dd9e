"""Dispatch: common checks before any handler, clean ignores, and retry on transient failures."""

from __future__ import annotations

from typing import Any

import pytest

from smartnode.federation.fetch import FetchError
from smartnode.inbox.dispatch import HANDLERS
from smartnode.storage.models import Activity, Actor, DeletedObject, DomainBlock, Follow
from tests.conftest import make_member
from tests.inbox import AS, NOW, Fediverse, count, follow_activity, receive

ALICE = "https://mastodon.example/users/alice"


def test_each_handled_activity_type_has_a_handler() -> None:
    assert sorted(HANDLERS) == [
        "Accept", "Add", "Announce", "Block", "Create", "Delete", "Follow", "Invite", "Join",
        "Leave", "Like", "Move", "Offer", "Reject", "Remove", "TentativeAccept", "Undo", "Update",
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["Flag", "Question", "Arrive"])
async def test_activities_not_handled_yet_are_ignored_with_a_reason(db, settings, kind) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    body = {"@context": AS, "id": f"{ALICE}#{kind}", "type": kind, "actor": ALICE,
            "object": anna.uri}  # fmt: skip
    outcome = await receive(db, settings, fediverse, body)
    assert outcome.status == "ignored" and kind in outcome.reason
    assert fediverse.fetched() == []
    assert (await count(db, Activity), await count(db, Actor)) == (0, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b.pop("id"), "no http(s) id"),
        (lambda b: b.update(id="urn:uuid:1"), "no http(s) id"),
        (lambda b: b.pop("type"), "no type"),
        (lambda b: b.update(actor="https://evil.example/users/mallory"), "signed it"),
    ],
)
async def test_malformed_or_unbound_activities_are_ignored(db, settings, change, reason) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    body = follow_activity(ALICE, anna.uri)
    change(body)
    outcome = await receive(db, settings, fediverse, body, actor_uri=ALICE)
    assert outcome.status == "ignored" and reason in outcome.reason
    assert (await count(db, Follow), fediverse.fetched()) == (0, [])


async def test_a_remote_activity_claiming_a_local_actor_or_id_is_ignored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    erik = await make_member(db, settings, "erik")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    as_erik = follow_activity(erik.uri, anna.uri, f"{erik.uri}#f")
    our_id = follow_activity(ALICE, anna.uri, f"{settings.base_url}/activities/1")
    for body in (as_erik, our_id):
        outcome = await receive(db, settings, fediverse, body)
        assert outcome.status == "ignored" and "our ids" in outcome.reason
    assert await count(db, Follow) == 0


@pytest.mark.parametrize(
    "actor", ["https://blocked.example/users/x", "https://eu.blocked.example/users/x"]
)
async def test_actors_on_blocked_domains_and_subdomains_are_ignored(db, settings, actor) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="blocked.example", reason="spam", created_at=NOW))
    fediverse = Fediverse()
    fediverse.actor(actor)
    outcome = await receive(db, settings, fediverse, follow_activity(actor, anna.uri))
    assert outcome.status == "ignored" and "blocked" in outcome.reason
    assert fediverse.fetched() == []
    assert (await count(db, Follow), await count(db, Activity)) == (0, 0)


async def test_an_activity_linking_to_a_blocked_domain_is_ignored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        s.add(DomainBlock(domain="blocked.example", reason="spam", created_at=NOW))
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    embedded: dict[str, Any] = {
        "id": "https://mastodon.example/n/1", "type": "Note",
        "inReplyTo": "https://blocked.example/notes/1", "attributedTo": ALICE,
    }  # fmt: skip
    body = {"@context": AS, "id": f"{ALICE}#u", "type": "Update", "actor": ALICE,
            "object": embedded}  # fmt: skip
    outcome = await receive(db, settings, fediverse, body)
    assert outcome.status == "ignored" and "blocked.example" in outcome.reason
    accept = follow_activity(ALICE, "https://blocked.example/users/y", f"{ALICE}#f")
    accept["object"] = anna.uri
    accept["target"] = "https://blocked.example/c/1"
    assert (await receive(db, settings, fediverse, accept)).status == "ignored"
    assert await count(db, Follow) == 0


async def test_an_activity_deleted_before_it_arrived_is_ignored(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    follow = follow_activity(ALICE, anna.uri, "https://mastodon.example/follows/7")
    async with db.session() as s, s.begin():
        s.add(DeletedObject(uri=follow["id"], actor_uri=ALICE, deleted_at=NOW))
    outcome = await receive(db, settings, fediverse, follow)
    assert outcome.status == "ignored" and "deleted" in outcome.reason
    assert await count(db, Follow) == 0


async def test_a_transient_fetch_failure_raises_so_the_worker_retries(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    fediverse = Fediverse()
    fediverse.serve(ALICE, {"error": "busy"}, status=503)
    with pytest.raises(FetchError):
        await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri))
    assert (await count(db, Follow), await count(db, Actor)) == (0, 1)
    fediverse.actor(ALICE)
    outcome = await receive(db, settings, fediverse, follow_activity(ALICE, anna.uri))
    assert outcome.status == "processed"
    assert await count(db, Follow) == 1
