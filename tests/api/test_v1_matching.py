"""The match-making API: candidates for a project or a call (coordinators only, listed members
only, explained in the viewer's language), peer-to-peer exchange, and members' notifications."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from smartnode.accounts.tokens import create_token
from smartnode.federation.uris import NodeUris
from smartnode.matching.notify import run_call_matching
from smartnode.storage.models import Actor
from smartnode.storage.models_work import Notification
from tests.api.test_v1_auth import admin_headers
from tests.matching.arrange import (
    COMPOSE,
    MIX,
    MOMENT,
    ORCHESTRATE,
    call_row,
    member_with_profile,
    project,
    seed_taxonomy,
)
from tests.matching.test_notify import TERMS, profile

URL = "/api/smart/v1/projects/nordic-dance/candidates"


async def token_of(db, actor: Actor) -> dict[str, str]:
    async with db.session() as s, s.begin():
        token = await create_token(s, label=f"m-{actor.username}", now=datetime.now(UTC),
                                   actor_id=actor.id)  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


async def arrange(db, settings) -> dict[str, Actor]:
    await seed_taxonomy(db)
    everyone = {
        "astrid": await member_with_profile(
            db, settings, "astrid", profile(listed=True), language="sv"
        ),
        "bengt": await member_with_profile(db, settings, "bengt", profile(suggestions=True)),
        "cora": await member_with_profile(db, settings, "cora", profile(listed=True)),
        "dag": await member_with_profile(
            db, settings, "dag", profile(listed=True, skills=[{"uri": ORCHESTRATE, "level": 3}])
        ),
    }
    everyone["team"] = await project(db, settings, "Nordic Dance", "cora")
    return everyone


async def test_coordinators_see_listed_members_ranked_and_explained(client, db, settings) -> None:
    people = await arrange(db, settings)
    headers = await token_of(db, people["cora"])
    query = {"skill": COMPOSE, "language": "sv:C1", "starts_on": "2027-03-01",
             "ends_on": "2027-03-10", "latitude": 55.6, "longitude": 13.0,
             "lang": "sv"}  # fmt: skip

    required = await client.get(URL, params=query, headers=headers)
    optional = await client.get(URL, params={**query, "skill": [], "optional": COMPOSE},
                                headers=headers)  # fmt: skip

    assert required.status_code == 200, required.text
    items = required.json()["items"]
    assert [i["username"] for i in items] == ["astrid"]
    assert items[0]["handle"] == "@astrid@se.smart.test"
    assert items[0]["explanation"] == (
        "komponera musik ✓ expert · svenska modersmål · tillgänglig 10 av 10 dagar · 0 km bort"
    )
    assert items[0]["score"] == 1.0 and items[0]["components"]["skills"] == 1.0
    # an optional skill lets a sibling in, behind; bengt (not listed) and cora (team) never
    assert [i["username"] for i in optional.json()["items"]] == ["astrid", "dag"]
    assert optional.json()["items"][1]["explanation"].startswith(
        "komponera musik ≈ orkestrera musik, avancerad"
    )


async def test_project_candidates_refuse_others_and_bad_queries(client, db, settings) -> None:
    people = await arrange(db, settings)
    astrid = await token_of(db, people["astrid"])
    cora = await token_of(db, people["cora"])
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(URL, headers=astrid)).status_code == 403
    admin = await admin_headers(db)
    as_cora = await client.get(URL, params={"as": "cora", "skill": COMPOSE}, headers=admin)
    assert [i["username"] for i in as_cora.json()["items"]] == ["astrid"]
    for bad in ({"skill": "compose"}, {"language": "sv:C3"}, {"latitude": 55},
                {"starts_on": "2027-03-10", "ends_on": "2027-03-01"}):  # fmt: skip
        answer = await client.get(URL, params=bad, headers=cora)
        assert answer.status_code == 422, bad
    missing = await client.get("/api/smart/v1/projects/nope/candidates", headers=cora)
    assert missing.status_code == 404


async def test_call_candidates_for_the_calls_coordinators(client, db, settings) -> None:
    people = await arrange(db, settings)
    await call_row(db, people["team"], TERMS, name="Composer", text="dance", token="c9")
    cora = await token_of(db, people["cora"])
    url = "/api/smart/v1/calls/c9/candidates"

    answer = await client.get(url, params={"lang": "en"}, headers=cora)

    assert answer.status_code == 200, answer.text
    assert [i["username"] for i in answer.json()["items"]] == ["astrid", "dag"]
    assert answer.json()["items"][0]["explanation"].startswith(
        "compose music ✓ expert · Swedish native · available 10 of 10 days · based in SE"
    )
    astrid = await token_of(db, people["astrid"])
    assert (await client.get(url, headers=astrid)).status_code == 403
    assert (await client.get("/api/smart/v1/calls/zz/candidates", headers=cora)).status_code == 404


async def test_exchange_finds_two_way_partners_among_listed_members(client, db, settings) -> None:
    await seed_taxonomy(db)
    me = await member_with_profile(db, settings, "astrid", profile(skills=[
        {"uri": COMPOSE, "level": 4, "can_teach": True}, {"uri": MIX, "level": 1,
                                                           "wants_to_learn": True}]))  # fmt: skip
    partner = {"skills": [{"uri": MIX, "level": 3, "can_teach": True},
                          {"uri": COMPOSE, "level": 1, "wants_to_learn": True}]}  # fmt: skip
    await member_with_profile(db, settings, "erik", profile(listed=True, **partner))
    await member_with_profile(db, settings, "hidden", profile(listed=False, **partner))
    one_way = {"skills": [{"uri": MIX, "level": 4, "can_teach": True}]}
    await member_with_profile(db, settings, "olle", profile(listed=True, **one_way))

    answer = await client.get("/api/smart/v1/exchange", headers=await token_of(db, me))

    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [i["username"] for i in items] == ["erik"]
    assert items[0]["explanation"] == (
        "can teach you mix multi-track recordings (advanced) · wants to learn compose music"
        " · Swedish native"
    )
    assert (await client.get("/api/smart/v1/exchange")).status_code == 401


async def test_notifications_newest_first_explained_paged_and_read(client, db, settings) -> None:
    people = await arrange(db, settings)
    uris = NodeUris(settings.base_url, settings.domain)
    first = await call_row(db, people["team"], TERMS, name="One", token="n1")
    second = await call_row(db, people["team"], {**TERMS, "remote": True}, name="Two", token="n2")
    async with db.session() as s, s.begin():
        await run_call_matching(s, uris, first.id, MOMENT)
        await run_call_matching(s, uris, second.id, MOMENT)
    astrid = await token_of(db, people["astrid"])

    page = await client.get("/api/smart/v1/notifications", params={"limit": 1}, headers=astrid)
    rest = await client.get(page.json()["next"], headers=astrid)
    french = await client.get("/api/smart/v1/notifications", params={"lang": "fr"}, headers=astrid)

    assert page.status_code == 200, page.text
    (newest,) = page.json()["items"]
    assert newest["object_uri"] == second.uri and newest["kind"] == "call_match"
    assert newest["explanation"] == (
        "komponera musik ✓ expert · svenska modersmål · tillgänglig 10 av 10 dagar · på distans"
    )
    assert [i["object_uri"] for i in rest.json()["items"]] == [first.uri]
    assert rest.json()["next"] is None
    assert french.json()["items"][0]["explanation"].startswith("composer de la musique ✓ expert")
    # reading: idempotent, only one's own, and the unread filter follows
    read = await client.post(f"/api/smart/v1/notifications/{newest['id']}/read", headers=astrid)
    again = await client.post(f"/api/smart/v1/notifications/{newest['id']}/read", headers=astrid)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = await client.get("/api/smart/v1/notifications?unread=true", headers=astrid)
    assert [i["object_uri"] for i in unread.json()["items"]] == [first.uri]
    bengt = await token_of(db, people["bengt"])
    assert (await client.post(f"/api/smart/v1/notifications/{newest['id']}/read",
                              headers=bengt)).status_code == 404  # fmt: skip
    assert (await client.get("/api/smart/v1/notifications")).status_code == 401
    async with db.session() as s:
        rows = await s.execute(
            select(Notification.object_uri, Notification.read_at).where(
                Notification.actor_id == people["astrid"].id
            )
        )
        stored = {uri: read_at is not None for uri, read_at in rows}
    assert stored[second.uri] is True and stored[first.uri] is False
