"""Team activities in the inbox: Join / Invite / Accept / Reject / Leave on our projects, and
Add / Remove on a remote project's members collection; forged ones change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.actors.projects import Role, add_to_team
from smartnode.actors.records import node_uris
from smartnode.content.teams import answer_join, invite, join_remote
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor
from smartnode.storage.models_profiles import ProjectMember
from smartnode.storage.models_work import Notification, TeamRequest
from tests.conftest import make_member, make_project
from tests.inbox import AS, NOW, Fediverse, inbox_context, receive

BOB = "https://remote.example/users/bob"
CAROL = "https://evil.example/users/carol"
COORD = "https://it.smart.test/members/giulia"
DAVE = "https://remote.example/users/dave"
GROUP = "https://be.smart.test/projects/jazz"
OPERA = "https://se.smart.test/projects/opera"


def activity(kind: str, actor: str, obj: Any, n: int = 1, **fields: Any) -> dict[str, Any]:
    return {"@context": AS, "id": f"{actor}#{kind.lower()}/{n}", "type": kind, "actor": actor,
            "object": obj, **fields}  # fmt: skip


async def world(db: Database, settings) -> Fediverse:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Opera", "anna", slug="opera")
    fediverse = Fediverse()
    for uri in (BOB, CAROL, COORD, DAVE):
        fediverse.actor(uri)
    fediverse.actor(GROUP, type="Group")
    fediverse.actor("https://evil.example/projects/jazz", type="Group")
    return fediverse


async def actor_row(db: Database, uri: str) -> Actor:
    async with db.session() as s:
        found = await s.scalar(select(Actor).where(Actor.uri == uri))
    assert found is not None
    return found


async def team(db: Database, project_uri: str) -> dict[str, str]:
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.uri, ProjectMember.role)
            .join(ProjectMember, ProjectMember.member_id == Actor.id)
            .where(ProjectMember.project_id == select(Actor.id).where(Actor.uri == project_uri)
                   .scalar_subquery())
        )  # fmt: skip
        return {uri: role for uri, role in rows.all()}


async def requests(db: Database) -> list[tuple[str, str, str, str]]:
    async with db.session() as s:
        rows = (await s.scalars(select(TeamRequest).order_by(TeamRequest.id))).all()
        return [(r.kind, r.uri, r.role, r.state) for r in rows]


async def sent(db: Database, kind: str) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Activity).where(Activity.activity_type == kind).order_by(Activity.id)
        )
        return [a.document for a in rows.all()]


async def notifications(db: Database) -> list[tuple[str, str]]:
    async with db.session() as s:
        rows = (await s.scalars(select(Notification).order_by(Notification.id))).all()
        return [(n.kind, n.object_uri) for n in rows]


async def put_in_team(db, settings, fediverse, project: str, member: str, role: Role) -> None:
    async with inbox_context(db, settings, fediverse) as ctx:
        group = await ctx.resolver.actor(project)
        person = await ctx.resolver.actor(member)
        assert group is not None and person is not None
        await add_to_team(ctx.session, group, person, role, NOW)


async def test_join_is_pending_until_a_local_coordinator_accepts(db, settings) -> None:
    fediverse = await world(db, settings)
    join = activity("Join", BOB, OPERA)
    assert (await receive(db, settings, fediverse, join)).status == "processed"
    assert await requests(db) == [("join", join["id"], "member", "pending")]
    assert await notifications(db) == [("team_join", join["id"])]
    assert await team(db, OPERA) == {"https://se.smart.test/members/anna": "coordinator"}
    again = await receive(db, settings, fediverse, activity("Join", BOB, OPERA, 2))
    assert again.status == "ignored" and len(await requests(db)) == 1

    async with inbox_context(db, settings, fediverse) as ctx:
        row = await ctx.session.scalar(select(TeamRequest))
        assert row is not None
        await answer_join(ctx.session, node_uris(settings), row, True, NOW)
    assert (await team(db, OPERA))[BOB] == "member"
    [accept] = await sent(db, "Accept")
    assert accept["actor"] == OPERA and accept["to"] == [BOB]
    assert accept["object"] == {"id": join["id"], "type": "Join", "actor": BOB, "object": OPERA}
    [add] = await sent(db, "Add")
    assert (add["actor"], add["object"], add["target"]["id"]) == (OPERA, BOB, f"{OPERA}/members")
    assert add["to"] == [BOB, f"{OPERA}/followers"]
    assert add["smartRole"] == "member" and add["result"]["role"] == "member"
    assert (await requests(db))[0][3] == "accepted"


async def test_a_remote_coordinators_accept_counts_a_non_coordinators_does_not(
    db, settings
) -> None:
    fediverse = await world(db, settings)
    await put_in_team(db, settings, fediverse, OPERA, COORD, Role.COORDINATOR)
    await put_in_team(db, settings, fediverse, OPERA, DAVE, Role.MEMBER)
    join = activity("Join", BOB, OPERA)
    await receive(db, settings, fediverse, join)

    for forger in (DAVE, CAROL):
        forged = await receive(db, settings, fediverse, activity("Accept", forger, join["id"]))
        assert forged.status == "ignored"
    assert BOB not in await team(db, OPERA)
    assert await sent(db, "Add") == [] and (await requests(db))[0][3] == "pending"

    accepted = await receive(db, settings, fediverse, activity("Accept", COORD, join["id"]))
    assert accepted.status == "processed"
    assert (await team(db, OPERA))[BOB] == "member"
    assert [a["object"] for a in await sent(db, "Add")] == [BOB]
    assert [a["object"]["id"] for a in await sent(db, "Accept")] == [join["id"]]


async def test_a_remote_coordinators_reject_refuses_the_join(db, settings) -> None:
    fediverse = await world(db, settings)
    await put_in_team(db, settings, fediverse, OPERA, COORD, Role.COORDINATOR)
    join = activity("Join", BOB, OPERA)
    await receive(db, settings, fediverse, join)
    outcome = await receive(db, settings, fediverse, activity("Reject", COORD, join["id"]))
    assert outcome.status == "processed"
    assert (await requests(db))[0][3] == "rejected" and BOB not in await team(db, OPERA)
    [reject] = await sent(db, "Reject")
    assert reject["to"] == [BOB] and await sent(db, "Add") == []


async def test_our_invite_counts_only_when_its_invitee_accepts(db, settings) -> None:
    fediverse = await world(db, settings)
    async with inbox_context(db, settings, fediverse) as ctx:
        project, anna = (
            await ctx.resolver.actor(OPERA),
            await ctx.resolver.actor("https://se.smart.test/members/anna"),
        )
        bob = await ctx.resolver.actor(BOB)
        assert project and anna and bob
        await invite(ctx.session, node_uris(settings), project, anna, bob, Role.GUEST, NOW)
    [sent_invite] = await sent(db, "Invite")
    assert (sent_invite["actor"], sent_invite["object"], sent_invite["target"]) == (
        OPERA,
        OPERA,
        BOB,
    )
    assert sent_invite["to"] == [BOB] and sent_invite["smartRole"] == "guest"

    forged = await receive(db, settings, fediverse, activity("Accept", CAROL, sent_invite["id"]))
    assert forged.status == "ignored" and BOB not in await team(db, OPERA)
    embedded = {"id": sent_invite["id"], "type": "Invite", "object": OPERA, "target": BOB}
    accepted = await receive(db, settings, fediverse, activity("Accept", BOB, embedded))
    assert accepted.status == "processed"
    assert (await team(db, OPERA))[BOB] == "guest"
    [add] = await sent(db, "Add")
    assert add["smartRole"] == "guest" and add["object"] == BOB
    assert (await requests(db))[0][3] == "accepted"


async def test_leave_removes_and_publishes_remove(db, settings) -> None:
    fediverse = await world(db, settings)
    await put_in_team(db, settings, fediverse, OPERA, BOB, Role.MEMBER)
    stranger = await receive(db, settings, fediverse, activity("Leave", DAVE, OPERA))
    assert stranger.status == "ignored"
    left = await receive(db, settings, fediverse, activity("Leave", BOB, OPERA))
    assert left.status == "processed" and BOB not in await team(db, OPERA)
    [remove] = await sent(db, "Remove")
    assert (remove["actor"], remove["object"], remove["target"]["id"]) == (
        OPERA,
        BOB,
        f"{OPERA}/members",
    )
    assert await notifications(db) == []


async def test_the_last_coordinator_may_leave_and_the_team_is_told(db, settings) -> None:
    fediverse = await world(db, settings)
    await put_in_team(db, settings, fediverse, OPERA, BOB, Role.COORDINATOR)
    await put_in_team(db, settings, fediverse, OPERA, "https://se.smart.test/members/anna",
                      Role.MEMBER)  # fmt: skip
    left = await receive(db, settings, fediverse, activity("Leave", BOB, OPERA))
    assert left.status == "processed"
    assert await team(db, OPERA) == {"https://se.smart.test/members/anna": "member"}
    assert await notifications(db) == [("team_no_coordinator", OPERA)]


async def test_invite_to_our_member_is_recorded_forged_inviters_are_not(db, settings) -> None:
    fediverse = await world(db, settings)
    anna = "https://se.smart.test/members/anna"
    forged = activity("Invite", CAROL, GROUP, target=anna)
    assert (await receive(db, settings, fediverse, forged)).status == "ignored"
    assert await requests(db) == [] and await notifications(db) == []

    real = activity("Invite", GROUP, GROUP, target=anna, smartRole="coordinator")
    assert (await receive(db, settings, fediverse, real)).status == "processed"
    assert await requests(db) == [("invite", real["id"], "coordinator", "pending")]
    assert await notifications(db) == [("team_invite", real["id"])]
    mobilizon = activity("Invite", COORD, GROUP, 2, target=anna)  # other origin: refused
    assert (await receive(db, settings, fediverse, mobilizon)).status == "ignored"


async def test_add_and_remove_from_the_group_update_our_copy_of_its_team(db, settings) -> None:
    fediverse = await world(db, settings)
    members = f"{GROUP}/members"
    add = activity("Add", GROUP, BOB, target={"id": members, "type": "OrderedCollection"},
                   result={"type": "Member", "actor": BOB, "object": GROUP,
                           "role": "administrator"})  # fmt: skip
    assert (await receive(db, settings, fediverse, add)).status == "processed"
    assert await team(db, GROUP) == {BOB: "coordinator"}
    role = activity("Add", GROUP, BOB, 2, target=members, smartRole="guest")
    assert (await receive(db, settings, fediverse, role)).status == "processed"
    assert await team(db, GROUP) == {BOB: "guest"}

    remove = activity("Remove", GROUP, BOB, target=members)
    assert (await receive(db, settings, fediverse, remove)).status == "processed"
    assert await team(db, GROUP) == {}


async def test_forged_adds_change_no_team(db, settings) -> None:
    fediverse = await world(db, settings)
    anna = "https://se.smart.test/members/anna"
    forgeries = [
        activity("Add", CAROL, anna, target=f"{GROUP}/members"),  # not the project
        activity("Add", GROUP, anna, 2, target="https://evil.example/projects/jazz/members"),
        activity("Add", GROUP, anna, 3, target=f"{GROUP}/featured"),
        activity("Add", BOB, anna, target=f"{BOB}/members"),  # a Person, not a Group
        activity("Add", GROUP, anna, 4, target=f"{OPERA}/members"),  # our own collection
    ]
    for forged in forgeries:
        assert (await receive(db, settings, fediverse, forged)).status == "ignored"
    assert await team(db, GROUP) == {} and await team(db, OPERA) == {anna: "coordinator"}


async def test_the_groups_add_accepts_our_members_pending_join(db, settings) -> None:
    fediverse = await world(db, settings)
    anna = "https://se.smart.test/members/anna"
    async with inbox_context(db, settings, fediverse) as ctx:
        group, member = await ctx.resolver.actor(GROUP), await ctx.resolver.actor(anna)
        assert group and member
        await join_remote(ctx.session, node_uris(settings), group, member, NOW)
    [join] = await sent(db, "Join")
    assert (join["actor"], join["object"], join["to"]) == (anna, GROUP, [GROUP])
    forged = await receive(db, settings, fediverse, activity("Accept", BOB, join["id"]))
    assert forged.status == "ignored" and (await requests(db))[0][3] == "pending"
    add = activity("Add", GROUP, anna, target=f"{GROUP}/members", smartRole="member")
    assert (await receive(db, settings, fediverse, add)).status == "processed"
    assert (await requests(db))[0][3] == "accepted"
    assert await team(db, GROUP) == {anna: "member"}


async def test_a_remote_coordinator_changes_roles_removes_and_invites_for_our_project(
    db, settings
) -> None:
    fediverse = await world(db, settings)
    await put_in_team(db, settings, fediverse, OPERA, COORD, Role.COORDINATOR)
    await put_in_team(db, settings, fediverse, OPERA, BOB, Role.MEMBER)
    members = f"{OPERA}/members"

    by_member = activity("Remove", BOB, COORD, target=members)
    assert (await receive(db, settings, fediverse, by_member)).status == "ignored"
    by_stranger = activity("Add", DAVE, BOB, target=members, smartRole="coordinator")
    assert (await receive(db, settings, fediverse, by_stranger)).status == "ignored"
    assert (await team(db, OPERA))[BOB] == "member" and COORD in await team(db, OPERA)

    promote = activity("Add", COORD, BOB, target=members, smartRole="coordinator")
    assert (await receive(db, settings, fediverse, promote)).status == "processed"
    assert (await team(db, OPERA))[BOB] == "coordinator"
    [add] = await sent(db, "Add")
    assert (add["actor"], add["object"], add["smartRole"]) == (OPERA, BOB, "coordinator")

    remove = activity("Remove", COORD, BOB, target=members)
    assert (await receive(db, settings, fediverse, remove)).status == "processed"
    assert BOB not in await team(db, OPERA)
    [sent_remove] = await sent(db, "Remove")
    assert (sent_remove["actor"], sent_remove["object"]) == (OPERA, BOB)

    forged_invite = activity("Invite", DAVE, OPERA, target=CAROL)
    assert (await receive(db, settings, fediverse, forged_invite)).status == "ignored"
    invite_doc = activity("Invite", COORD, OPERA, target=DAVE, smartRole="guest")
    assert (await receive(db, settings, fediverse, invite_doc)).status == "processed"
    [out] = await sent(db, "Invite")
    assert (out["actor"], out["target"], out["to"], out["smartRole"]) == (
        OPERA, DAVE, [DAVE], "guest",
    )  # fmt: skip
    assert [(k, role, state) for k, _, role, state in await requests(db)] == [
        ("invite", "guest", "pending")
    ]
