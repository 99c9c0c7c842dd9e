"""The permission matrix: every use case × every kind of principal → allowed or refused with the
right status, through the native API and, for the use cases the CLI offers, through the CLI
with the same outcome (the same refusal, word for word); allowed ones leave their effect in the
database, refused ones leave none.

The principals: nobody signed in; another member (bo); the member themself (anna: the profile's
owner, the author, the applicant); a coordinator of the project (cleo); a plain team member
(dag); an admin token alone and with `?as=` the use case's acting member; and an OAuth app
acting for that member with and without the scope the use case needs. The CLI acts through
`--token` (and `--as`), so it meets exactly the API's principals; nobody is never the CLI.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from smartnode.accounts.tokens import create_token
from smartnode.actors.inputs import ProjectInput
from smartnode.actors.projects import Role, add_to_team, create_project
from smartnode.actors.records import node_uris
from smartnode.config import Settings
from smartnode.content.applications import apply_to_call
from smartnode.content.calls import create_call
from smartnode.content.calls_inputs import CallInput
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject, Follow
from smartnode.storage.models_matching import MatchingProfile
from smartnode.storage.models_profiles import MemberProfile, Project, ProjectMember
from smartnode.storage.models_work import Application, Notification, TeamRequest
from tests.api.test_self_service import app_headers
from tests.conftest import Invoke, make_member, make_project
from tests.content import make_post

KINDS = ("anonymous", "other", "self", "coordinator", "team", "admin", "admin_as", "app",
         "app_without")  # fmt: skip
#: The members behind the kinds (admin_as and the apps act for the use case's `actor`).
MEMBERS = {"other": "bo", "self": "anna", "coordinator": "cleo", "team": "dag"}
SERIAL = itertools.count(1)


def row(*statuses: int) -> dict[str, int]:
    """Statuses in the order of KINDS."""
    assert len(statuses) == len(KINDS)
    return dict(zip(KINDS, statuses, strict=True))


@dataclass
class World:
    """The node: members, the project `opera` (cleo coordinates, dag is in the team), eve
    (who is nobody's principal, only a target), and tokens."""

    db: Database
    settings: Settings
    actors: dict[str, Actor]
    tokens: dict[str, str] = field(default_factory=dict)

    def uri(self, name: str) -> str:
        return self.actors[name].uri

    def id(self, name: str) -> int:
        return self.actors[name].id


async def world(db: Database, settings: Settings) -> World:
    actors = {name: await make_member(db, settings, name) for name in
              ("anna", "bo", "cleo", "dag", "eve")}  # fmt: skip
    actors["opera"] = await make_project(db, settings, "Opera", "cleo", slug="opera")
    async with db.session() as s, s.begin():
        await add_to_team(s, actors["opera"], actors["dag"], Role.MEMBER, datetime.now(UTC))
        tokens = {kind: await create_token(s, label=kind, now=datetime.now(UTC),
                                           actor_id=actors[name].id)
                  for kind, name in MEMBERS.items()}  # fmt: skip
        tokens["admin"] = await create_token(s, label="admin", now=datetime.now(UTC))
    return World(db, settings, actors, tokens)


Target = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One use case: whom `?as=` and the apps act for, the scope it needs, the statuses by
    kind, how to make a fresh target, the API request and CLI arguments for a target, and
    whether its effect is in the database."""

    name: str
    actor: str
    scope: str
    expected: dict[str, int]
    request: Callable[[World, Target], tuple[str, str, Any]]
    arrange: Callable[[World], Awaitable[Target]] | None = None
    done: Callable[[World, Target], Awaitable[bool]] | None = None
    cli: Callable[[World, Target], list[str]] | None = None


# ---------------------------------------------------------------- arranging targets


async def nothing(w: World) -> Target:
    return {"n": next(SERIAL)}


async def one(w: World, query: Any) -> Any:
    async with w.db.session() as s:
        return await s.scalar(query)


async def fresh_post(w: World, author: str = "anna") -> Target:
    post = await make_post(w.db, w.settings, w.actors[author])
    return {"id": post.uri.rsplit("/", 1)[-1], "uri": post.uri, "n": next(SERIAL)}


async def project_post(w: World) -> Target:
    async with w.db.session() as s, s.begin():
        project = await s.get(Actor, w.id("opera"))
        assert project is not None
    post = await make_post(w.db, w.settings, project)
    return {"id": post.uri.rsplit("/", 1)[-1], "uri": post.uri}


async def fresh_call(w: World) -> Target:
    data = CallInput.model_validate({"title": f"Call {next(SERIAL)}", "description": "Work",
                                     "remote": True})  # fmt: skip
    async with w.db.session() as s, s.begin():
        project = await s.get(Actor, w.id("opera"))
        assert project is not None
        call = await create_call(s, node_uris(w.settings), project=project, data=data,
                                 now=datetime.now(UTC))  # fmt: skip
    return {"id": call.uri.rsplit("/", 1)[-1], "uri": call.uri, "call_id": call.id}


async def fresh_application(w: World) -> Target:
    target = await fresh_call(w)
    async with w.db.session() as s, s.begin():
        call = await s.get(ContentObject, target["call_id"])
        anna = await s.get(Actor, w.id("anna"))
        assert call is not None and anna is not None
        app = await apply_to_call(s, node_uris(w.settings), anna, call, "<p>Me</p>", [],
                                  datetime.now(UTC))  # fmt: skip
    return {**target, "app": app.id}


async def fresh_project(w: World) -> Target:
    slug = f"gone-{next(SERIAL)}"
    data = ProjectInput.model_validate({"name": slug, "slug": slug, "coordinator": "cleo"})
    async with w.db.session() as s, s.begin():
        await create_project(s, w.settings, data, datetime.now(UTC))
    return {"slug": slug}


async def eve_in_team(w: World) -> Target:
    async with w.db.session() as s, s.begin():
        project = await s.get(Actor, w.id("opera"))
        eve = await s.get(Actor, w.id("eve"))
        assert project is not None and eve is not None
        await add_to_team(s, project, eve, Role.GUEST, datetime.now(UTC))
    return {}


async def dag_a_member(w: World) -> Target:
    async with w.db.session() as s, s.begin():
        project = await s.get(Actor, w.id("opera"))
        dag = await s.get(Actor, w.id("dag"))
        assert project is not None and dag is not None
        await add_to_team(s, project, dag, Role.MEMBER, datetime.now(UTC))
    return {}


async def eve_not_invited(w: World) -> Target:
    async with w.db.session() as s, s.begin():
        await s.execute(delete(TeamRequest))
        await s.execute(delete(Notification))
    return {}


async def anna_not_following(w: World) -> Target:
    async with w.db.session() as s, s.begin():
        await s.execute(delete(Follow).where(Follow.follower_id == w.id("anna")))
    return {}


# ---------------------------------------------------------------- effects


async def city_is(w: World, t: Target) -> bool:
    city = await one(w, select(MemberProfile.city).where(MemberProfile.actor_id == w.id("anna")))
    return bool(city == f"City {t['n']}")


async def radius_is(w: World, t: Target) -> bool:
    radius = await one(w, select(MatchingProfile.travel_radius_km)
                       .where(MatchingProfile.actor_id == w.id("anna")))  # fmt: skip
    return bool(radius == t["n"])


async def actor_named(w: World, username: str) -> Actor | None:
    found: Actor | None = await one(w, select(Actor).where(Actor.username == username))
    return found


async def member_made(w: World, t: Target) -> bool:
    return await actor_named(w, f"new{t['n']}") is not None


async def project_made(w: World, t: Target) -> bool:
    return await actor_named(w, f"p-{t['n']}") is not None


async def project_city_is(w: World, t: Target) -> bool:
    city = await one(w, select(Project.city).where(Project.actor_id == w.id("opera")))
    return bool(city == f"City {t['n']}")


async def project_gone(w: World, t: Target) -> bool:
    found = await actor_named(w, t["slug"])
    return found is not None and found.deleted_at is not None


async def role_of(w: World, name: str) -> str | None:
    mine = (ProjectMember.project_id == w.id("opera"), ProjectMember.member_id == w.id(name))
    role: str | None = await one(w, select(ProjectMember.role).where(*mine))
    return role


async def dag_a_guest(w: World, t: Target) -> bool:
    return await role_of(w, "dag") == "guest"


async def eve_out(w: World, t: Target) -> bool:
    return await role_of(w, "eve") is None


async def exists(w: World, column: Any, *where: Any) -> bool:
    return await one(w, select(column).where(*where)) is not None


async def eve_invited(w: World, t: Target) -> bool:
    return await exists(w, TeamRequest.id, TeamRequest.actor_id == w.id("eve"))


async def post_deleted(w: World, t: Target) -> bool:
    gone = await one(w, select(ContentObject.deleted_at).where(ContentObject.uri == t["uri"]))
    return gone is not None


async def posted(w: World, t: Target) -> bool:
    return await exists(w, ContentObject.id, ContentObject.content.contains(f"Post {t['n']}"))


async def post_edited(w: World, t: Target) -> bool:
    content = await one(w, select(ContentObject.content).where(ContentObject.uri == t["uri"]))
    return f"Edit {t['n']}" in str(content)


async def call_made(w: World, t: Target) -> bool:
    return await exists(w, ContentObject.id, ContentObject.name == f"Job {t['n']}")


async def call_closed(w: World, t: Target) -> bool:
    state = await one(w, select(ContentObject.state).where(ContentObject.uri == t["uri"]))
    return bool(state == "closed")


async def app_state(w: World, t: Target) -> str | None:
    state: str | None = await one(w, select(Application.state).where(Application.id == t["app"]))
    return state


async def withdrawn(w: World, t: Target) -> bool:
    return await app_state(w, t) == "withdrawn"


async def accepted(w: World, t: Target) -> bool:
    return await app_state(w, t) == "accepted"


async def applied(w: World, t: Target) -> bool:
    return await exists(w, Application.id, Application.call_id == t["call_id"])


async def anna_follows_eve(w: World, t: Target) -> bool:
    return await exists(w, Follow.id, Follow.follower_id == w.id("anna"),
                        Follow.followed_id == w.id("eve"))  # fmt: skip


async def event_made(w: World, t: Target) -> bool:
    return await exists(w, ContentObject.id, ContentObject.name == f"Gig {t['n']}")


# ---------------------------------------------------------------- the use cases

#            anon other self coord team admin as   app  app-
MEMBER_OWN = row(401, 403, 200, 403, 403, 200, 200, 200, 403)
ADMIN_ONLY = row(401, 403, 403, 403, 403, 201, 201, 403, 403)
COORDINATED = row(401, 403, 403, 200, 403, 200, 200, 200, 403)
EVENT = {"content": "Gig", "starts_at": "2031-05-01T19:00:00+02:00",
         "timezone": "Europe/Stockholm", "online_url": "https://meet.example/gig"}  # fmt: skip

CASES = [
    Case("edit own profile", "anna", "write:accounts", MEMBER_OWN,
         lambda w, t: ("PATCH", "/api/smart/v1/members/anna", {"city": f"City {t['n']}"}),
         nothing, city_is,
         lambda w, t: ["member", "edit", "anna", "--city", f"City {t['n']}"]),
    Case("read own matching profile", "anna", "read:accounts", MEMBER_OWN,
         lambda w, t: ("GET", "/api/smart/v1/members/anna/matching-profile", None), nothing),
    Case("change own matching profile", "anna", "write:accounts", MEMBER_OWN,
         lambda w, t: ("PATCH", "/api/smart/v1/members/anna/matching-profile",
                       {"travel_radius_km": t["n"]}), nothing, radius_is),
    Case("create a member", "anna", "write:accounts", ADMIN_ONLY,
         lambda w, t: ("POST", "/api/smart/v1/members",
                       {"username": f"new{t['n']}", "name": "New"}),
         nothing, member_made,
         lambda w, t: ["member", "create", f"new{t['n']}", "--name", "New"]),
    Case("delete a member", "anna", "write:accounts",
         row(401, 403, 403, 403, 403, 204, 204, 403, 403),
         lambda w, t: ("DELETE", f"/api/smart/v1/members/{t['slug']}", None),
         lambda w: _fresh_member(w), lambda w, t: _member_gone(w, t),
         lambda w, t: ["member", "delete", t["slug"]]),
    Case("create a project (and coordinate it)", "anna", "write:projects",
         row(401, 201, 201, 201, 201, 422, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/projects", {"name": f"P {t['n']}"}),
         nothing, project_made,
         lambda w, t: ["project", "create", "--name", f"P {t['n']}"]),
    Case("edit a project", "cleo", "write:projects", COORDINATED,
         lambda w, t: ("PATCH", "/api/smart/v1/projects/opera", {"city": f"City {t['n']}"}),
         nothing, project_city_is,
         lambda w, t: ["project", "edit", "opera", "--city", f"City {t['n']}"]),
    Case("delete a project", "cleo", "write:projects",
         row(401, 403, 403, 403, 403, 204, 204, 403, 403),
         lambda w, t: ("DELETE", f"/api/smart/v1/projects/{t['slug']}", None),
         fresh_project, project_gone, lambda w, t: ["project", "delete", t["slug"]]),
    Case("change a team member's role", "cleo", "write:projects", COORDINATED,
         lambda w, t: ("PUT", "/api/smart/v1/projects/opera/team/dag", {"role": "guest"}),
         dag_a_member, dag_a_guest, lambda w, t: ["project", "role", "opera", "dag", "guest"]),
    Case("remove a team member", "cleo", "write:projects",
         row(401, 403, 403, 204, 403, 204, 204, 204, 403),
         lambda w, t: ("DELETE", "/api/smart/v1/projects/opera/team/eve", None),
         eve_in_team, eve_out, lambda w, t: ["project", "remove", "opera", "eve"]),
    Case("invite to a team", "cleo", "write:projects",
         row(401, 403, 403, 201, 403, 201, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/projects/opera/invitations",
                       {"actor": "eve@se.smart.test", "role": "guest"}),
         eve_not_invited, eve_invited),
    Case("publish a post", "anna", "write:statuses",
         row(401, 403, 201, 403, 403, 403, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/actors/anna/posts", {"content": f"Post {t['n']}"}),
         nothing, posted),
    Case("edit a post", "anna", "write:statuses", row(401, 403, 200, 403, 403, 403, 200, 200, 403),
         lambda w, t: ("PATCH", f"/api/smart/v1/posts/{t['id']}", {"content": f"Edit {t['n']}"}),
         fresh_post, post_edited),
    Case("delete a post", "anna", "write:statuses",
         row(401, 403, 204, 403, 403, 204, 204, 204, 403),
         lambda w, t: ("DELETE", f"/api/smart/v1/posts/{t['id']}", None),
         fresh_post, post_deleted, lambda w, t: ["post", "delete", t["id"]]),
    Case("delete a project's post", "cleo", "write:statuses",
         row(401, 403, 403, 204, 403, 204, 204, 204, 403),
         lambda w, t: ("DELETE", f"/api/smart/v1/posts/{t['id']}", None),
         project_post, post_deleted, lambda w, t: ["post", "delete", t["id"]]),
    Case("publish an event", "anna", "write:events",
         row(401, 403, 201, 403, 403, 403, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/actors/anna/events",
                       {**EVENT, "name": f"Gig {t['n']}"}),
         nothing, event_made),
    Case("publish a call", "cleo", "write:calls", row(401, 403, 403, 201, 403, 403, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/actors/opera/calls",
                       {"title": f"Job {t['n']}", "description": "Work", "remote": True}),
         nothing, call_made),
    Case("close a call", "cleo", "write:calls", row(401, 403, 403, 200, 403, 403, 200, 200, 403),
         lambda w, t: ("POST", f"/api/smart/v1/calls/{t['id']}/close", None),
         fresh_call, call_closed),
    Case("apply to a call", "anna", "write:applications",
         row(401, 201, 201, 201, 201, 403, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/applications",
                       {"call": t["uri"], "motivation": "Me"}),
         fresh_call, applied),
    Case("withdraw an application", "anna", "write:applications",
         row(401, 404, 200, 404, 404, 403, 200, 200, 403),
         lambda w, t: ("DELETE", f"/api/smart/v1/applications/{t['app']}", None),
         fresh_application, withdrawn, lambda w, t: ["application", "withdraw", str(t["app"])]),
    Case("accept an application", "cleo", "write:applications",
         row(401, 404, 403, 200, 404, 403, 200, 200, 403),
         lambda w, t: ("POST", f"/api/smart/v1/applications/{t['app']}/accept", None),
         fresh_application, accepted),
    Case("read a project's applications", "cleo", "read:applications",
         row(401, 403, 403, 200, 403, 403, 200, 200, 403),
         lambda w, t: ("GET", "/api/smart/v1/projects/opera/applications", None), nothing),
    Case("follow as oneself", "anna", "write:follows",
         row(401, 403, 201, 403, 403, 201, 201, 201, 403),
         lambda w, t: ("POST", "/api/smart/v1/actors/anna/following",
                       {"target": "@eve@se.smart.test"}),
         anna_not_following, anna_follows_eve,
         lambda w, t: ["follow", "anna", "@eve@se.smart.test"]),
    Case("list one's follow requests", "anna", "read:follows", MEMBER_OWN,
         lambda w, t: ("GET", "/api/smart/v1/actors/anna/follow-requests", None), nothing),
    Case("read one's notifications", "anna", "read:notifications",
         row(401, 200, 200, 200, 200, 403, 200, 200, 403),
         lambda w, t: ("GET", "/api/smart/v1/notifications", None), nothing),
    Case("find candidates for a project", "cleo", "read:accounts",
         row(401, 403, 403, 200, 403, 403, 200, 200, 403),
         lambda w, t: ("GET", "/api/smart/v1/projects/opera/candidates",
                       {"skill": "http://data.europa.eu/esco/skill/x"}), nothing),
]  # fmt: skip


async def _fresh_member(w: World) -> Target:
    slug = f"leaving{next(SERIAL)}"
    await make_member(w.db, w.settings, slug)
    return {"slug": slug}


async def _member_gone(w: World, t: Target) -> bool:
    found = await actor_named(w, t["slug"])
    return found is not None and found.deleted_at is not None


# ---------------------------------------------------------------- acting as each kind


async def _token(w: World, case: Case, kind: str) -> str | None:
    """The bearer token a kind holds for this use case (None: nobody)."""
    if kind in ("app", "app_without"):
        scopes = case.scope if kind == "app" else _other_scope(case.scope)
        headers = await app_headers(w.db, w.actors[case.actor], scopes)
        return headers["Authorization"].removeprefix("Bearer ")
    return w.tokens.get("admin" if kind == "admin_as" else kind)


def _other_scope(scope: str) -> str:
    """A grant that does not cover `scope`: writing grants for a read, reading for a write."""
    return "write" if scope.startswith("read") else "read"


async def _api(
    client: httpx.AsyncClient, w: World, case: Case, kind: str, token: str | None, t: Target
) -> httpx.Response:
    method, url, body = case.request(w, t)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"as": case.actor} if kind == "admin_as" else {}
    if method == "GET" and body:
        return await client.get(url, params={**params, **body}, headers=headers)
    return await client.request(method, url, json=body, params=params, headers=headers)


def _cli(smartnode: Invoke, case: Case, kind: str, token: str, args: list[str]) -> tuple[int, str]:
    acting = ["--token", token, *(["--as", case.actor] if kind == "admin_as" else [])]
    result = smartnode(*acting, *args)
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_permission_matrix(case: Case, client, db, settings, smartnode) -> None:
    w = await world(db, settings)
    arrange = case.arrange or nothing
    seen: dict[str, int] = {}
    for kind in KINDS:
        token = await _token(w, case, kind)
        target = await arrange(w)
        response = await _api(client, w, case, kind, token, target)
        seen[kind] = response.status_code
        allowed = response.status_code < 300
        if case.done is not None:
            assert await case.done(w, target) is allowed, (case.name, kind, response.text)
        if case.cli is None or token is None:
            continue
        target = await arrange(w)
        code, said = await asyncio.to_thread(_cli, smartnode, case, kind, token,
                                             case.cli(w, target))  # fmt: skip
        assert (code == 0) is allowed, (case.name, kind, said, response.text)
        if not allowed:
            assert response.json()["error"] in said, (case.name, kind, said)
        if case.done is not None:
            assert await case.done(w, target) is allowed, (case.name, kind, "cli", said)
    assert seen == case.expected, case.name
