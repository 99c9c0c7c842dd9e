"""Call arrival: the worker matches a scheduled call against this node's own members who opted
in to suggestions and notifies the best few, once; the call's team, opted-out members, members
the filters leave out and remote actors are never notified."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.federation.fetch import Fetcher
from smartnode.federation.uris import NodeUris
from smartnode.matching.notify import CALL_MATCH, need_from_call, run_call_matching
from smartnode.matching.score import Place, Wanted
from smartnode.storage.models import Actor, ContentObject, Job
from smartnode.storage.models_matching import MatchingProfile, MemberSkill
from smartnode.storage.models_work import Notification
from smartnode.worker import Worker
from tests.matching.arrange import (
    COMPOSE,
    COMPOSER,
    MOMENT,
    ORCHESTRATE,
    call_row,
    member_with_profile,
    project,
    seed_taxonomy,
)

MARCH = [{"starts_on": "2027-02-20", "ends_on": "2027-03-31"}]
MALMO = {"country": "SE", "city": "Malmö", "latitude": 55.6, "longitude": 13.0}
TERMS = {
    "occupation": None,
    "skills": [{"uri": COMPOSE, "name": "compose music"}],
    "languages": ["sv"],
    "starts_on": "2027-03-01",
    "ends_on": "2027-03-10",
    "country": "SE",
    "city": "Malmö",
    "remote": False,
    "positions": 1,
}


def profile(*, suggestions: bool = True, listed: bool = False, **fields: object) -> dict:
    base = {
        "skills": [{"uri": COMPOSE, "level": 4}],
        "languages": [{"language": "sv", "level": "native"}],
        "availability": MARCH,
        "location": MALMO,
        "travel_radius_km": 100,
        "sectors": ["music"],
        "opt_ins": {"suggestions": suggestions, "listed": listed},
    }
    return {**base, **fields}


@pytest.fixture
async def worker(db, settings):
    async with db.session() as s, s.begin():
        node = await ensure_node_actor(s, settings, MOMENT)
    fetcher = Fetcher(settings, transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    yield Worker(settings, db, fetcher, signer=node_signer(node, settings), deliverer=None)
    await fetcher.aclose()


async def arrange_members(db, settings) -> None:
    await seed_taxonomy(db)
    await member_with_profile(db, settings, "astrid", profile(), language="sv")
    await member_with_profile(db, settings, "bengt", profile(suggestions=False, listed=True))
    await member_with_profile(db, settings, "cora", profile())
    await member_with_profile(
        db, settings, "dag", profile(skills=[{"uri": ORCHESTRATE, "level": 4}])
    )
    await member_with_profile(db, settings, "eva", profile(availability=[]))
    away = {"country": "FR", "city": "Paris", "latitude": 48.9, "longitude": 2.4}
    await member_with_profile(db, settings, "frida", profile(location=away))
    async with db.session() as s, s.begin():  # a remote actor with skills: never a candidate
        remote = Actor(
            uri="https://be.smart.test/users/remy", local=False, kind="remote", ap_type="Person",
            username="remy", domain="be.smart.test", public_key_pem="", created_at=MOMENT,
            updated_at=MOMENT,
        )  # fmt: skip
        s.add(remote)
        await s.flush()
        s.add(MemberSkill(member_id=remote.id, concept_uri=COMPOSE, level=4))
        s.add(MatchingProfile(actor_id=remote.id, suggestions=True, sectors=[],
                              updated_at=MOMENT))  # fmt: skip


async def notified(db) -> dict[str, Notification]:
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.username, Notification).join(Actor, Actor.id == Notification.actor_id)
        )
        return {username: row for username, row in rows}


async def test_a_call_notifies_opted_in_members_who_pass_the_filters_once(
    db, settings, worker
) -> None:
    await arrange_members(db, settings)
    team = await project(db, settings, "Nordic Dance", "cora")
    call = await call_row(db, team, TERMS, name="Composer for a dance piece", token="c1")

    first = await worker.run_once(MOMENT)
    again = await worker.run_once(MOMENT + timedelta(minutes=5))

    assert (first.jobs, again.jobs) == (1, 0)
    found = await notified(db)
    assert sorted(found) == ["astrid", "dag"]
    astrid, dag = found["astrid"], found["dag"]
    assert (astrid.kind, astrid.object_uri, astrid.read_at) == (CALL_MATCH, call.uri, None)
    assert astrid.data["score"] > dag.data["score"] >= 0.5
    assert astrid.data["parts"][0] == {"kind": "skill", "uri": COMPOSE, "match": "exact",
                                       "level": 4}  # fmt: skip
    assert dag.data["parts"][0] == {"kind": "skill", "uri": COMPOSE, "match": "sibling",
                                    "level": 4, "via": ORCHESTRATE}  # fmt: skip
    assert {"kind": "availability", "days": 10, "of": 10} in astrid.data["parts"]
    async with db.session() as s:
        job = await s.scalar(select(Job).where(Job.kind == "match_call"))
        assert job is not None and job.state == "done"
    # running the same matching again notifies nobody twice
    async with db.session() as s, s.begin():
        assert await run_call_matching(s, NodeUris(settings.base_url, settings.domain), call.id,
                                       MOMENT) == 0  # fmt: skip
    assert len(await notified(db)) == 2


async def test_closed_or_past_deadline_calls_notify_nobody(db, settings, worker) -> None:
    await arrange_members(db, settings)
    team = await project(db, settings, "Nordic Dance", "cora")
    closed = await call_row(db, team, TERMS, name="Closed", token="c2")
    late = await call_row(db, team, TERMS, name="Late", token="c3")
    async with db.session() as s, s.begin():
        (await s.get(ContentObject, closed.id)).state = "closed"  # type: ignore[union-attr]
        (await s.get(ContentObject, late.id)).closes_at = MOMENT  # type: ignore[union-attr]
    assert (await worker.run_once(MOMENT)).jobs == 2
    assert await notified(db) == {}


async def test_a_required_skill_leaves_out_siblings_and_remote_calls_reach_everyone(
    db, settings, worker
) -> None:
    await arrange_members(db, settings)
    team = await project(db, settings, "Nordic Dance", "cora")
    terms = {**TERMS, "skills": [{"uri": COMPOSE, "required": True, "level": 3}],
             "remote": True, "country": None}  # fmt: skip
    await call_row(db, team, terms, name="Remote composer", token="c4")
    await worker.run_once(MOMENT)
    # frida (Paris) is in now; dag (a sibling skill only) is not; eva has no dates
    assert sorted(await notified(db)) == ["astrid", "frida"]


def test_a_call_row_becomes_a_need() -> None:
    call = ContentObject(
        kind="call", name="Composer", summary=None, content="<p>For a <b>dance</b> piece</p>",
        extra={"call": {**TERMS, "occupation": COMPOSER, "languages": ["sv", {"language": "en",
               "level": "C1"}], "place": {"country": "se", "latitude": 55.6, "longitude": 13.0}}},
        starts_at=MOMENT, ends_at=MOMENT + timedelta(days=9),
    )  # fmt: skip
    need = need_from_call(call)
    assert need.optional == (Wanted(COMPOSE, 1),) and need.required == ()
    assert need.occupation == COMPOSER
    assert need.languages == (("sv", "B1"), ("en", "C1"))
    assert (need.starts_on, need.ends_on) == (MOMENT.date(), MOMENT.date() + timedelta(days=9))
    assert need.place == Place(55.6, 13.0, "SE") and not need.remote
    assert "dance" in need.text


async def test_a_remote_call_is_matched_against_our_members(db, settings, worker) -> None:
    await arrange_members(db, settings)
    async with db.session() as s, s.begin():
        remote = Actor(
            uri="https://fr.smart.test/projects/danse", local=False, kind="remote",
            ap_type="Group", username="danse", domain="fr.smart.test", public_key_pem="",
            created_at=MOMENT, updated_at=MOMENT,
        )  # fmt: skip
        s.add(remote)
    terms = {**TERMS, "skills": [COMPOSE], "remote": True}
    await call_row(db, remote, terms, name="Compositeur", token="remote", local=False)

    assert (await worker.run_once(MOMENT)).jobs == 1

    found = await notified(db)
    assert sorted(found) == ["astrid", "cora", "dag", "frida"]
    assert {n.object_uri for n in found.values()} == {"https://fr.smart.test/calls/remote"}
