"""Project teams across nodes: Join, Invite, Leave, and Add/Remove on a members collection.

Authority (PROTOCOL.md "Origin and authority"): for one of our projects only a coordinator in
its team (of any node) may answer a Join; an Invite we sent is answered only by its invitee;
a Join and a Leave count only for their own actor. For a remote project, Add/Remove count only
when the actor is the Group itself and the target is its own members collection
(`<group>/members`, on its origin); an Invite to one of our members comes from the Group or an
actor on the Group's origin; an answer to our member's Join only from the Group.
"""

from __future__ import annotations

from sqlalchemy import select

from smartnode.actors.acting import coordinates
from smartnode.actors.projects import Role, add_to_team, team_row
from smartnode.content.notices import notify
from smartnode.content.team_to_ap import member_of, members_uri, role_of
from smartnode.content.teams import (
    ACCEPTED,
    INVITATION,
    INVITE,
    JOIN,
    PENDING,
    REJECTED,
    add_member,
    answer_join,
    change_role,
    expel,
    invite,
    leave_local,
    new_request,
    pending_request,
    record_join,
)
from smartnode.errors import Conflict
from smartnode.federation.vocab import first_id, id_of
from smartnode.inbox.context import (
    InboxContext,
    Incoming,
    Outcome,
    ignored,
    local_target,
    processed,
    same_origin,
)
from smartnode.storage.models import Actor
from smartnode.storage.models_work import TeamRequest


async def _local_project(ctx: InboxContext, uri: str | None) -> Actor | None:
    actor = await local_target(ctx, uri)
    return actor if actor is not None and actor.kind == "project" else None


async def _sender(ctx: InboxContext, incoming: Incoming) -> Actor | None:
    actor = await ctx.resolver.actor(incoming.actor_uri)
    return None if actor is None or actor.local or actor.deleted_at else actor


async def on_join(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone asks to join one of our projects: a pending request, coordinators told."""
    project = await _local_project(ctx, incoming.object_id)
    if project is None:
        return ignored("the Join names none of our projects")
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Join id is not on its actor's origin")
    joiner = await _sender(ctx, incoming)
    if joiner is None:
        return ignored("the joining actor could not be resolved")
    try:
        await record_join(ctx.session, incoming.id, project, joiner, ctx.now)
    except Conflict as error:
        return ignored(error.message)
    return processed("join request recorded, coordinators notified")


async def _coordinator_of(ctx: InboxContext, incoming: Incoming, project: Actor) -> Actor | str:
    """The remote sender when it coordinates our `project`, or why not."""
    sender = await _sender(ctx, incoming)
    if sender is None:
        return "the sending actor could not be resolved"
    if not await coordinates(ctx.session, sender, project):
        return f"only a coordinator of the project may {incoming.type} for it"
    return sender


async def _invite_for_us(ctx: InboxContext, incoming: Incoming, project: Actor) -> Outcome:
    """A remote coordinator invites someone to our project: the project sends the Invite."""
    sender = await _coordinator_of(ctx, incoming, project)
    if isinstance(sender, str):
        return ignored(sender)
    target = first_id(incoming.body.get("target"))
    invitee = await ctx.resolver.actor(target) if target else None
    if invitee is None or invitee.deleted_at is not None:
        return ignored("the invitee could not be resolved")
    role = role_of(incoming.body)
    try:
        await invite(ctx.session, ctx.uris, project, sender, invitee, role, ctx.now)
    except Conflict as error:
        return ignored(error.message)
    return processed("invitation sent on behalf of a remote coordinator")


async def on_invite(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A remote project invites one of our members (a pending invitation, the member told), or
    a remote coordinator of one of our projects invites someone to it."""
    ours = await _local_project(ctx, incoming.object_id)
    if ours is not None:
        return await _invite_for_us(ctx, incoming, ours)
    member = await local_target(ctx, first_id(incoming.body.get("target")))
    if member is None or member.kind != "member":
        return ignored("the Invite invites none of our members")
    group_uri = incoming.object_id
    if group_uri is None or ctx.uris.is_local(group_uri):
        return ignored("the Invite names no remote project")
    if group_uri != incoming.actor_uri and not same_origin(group_uri, incoming.actor_uri):
        return ignored("only the project or an actor on its origin may invite to it")
    group = await ctx.resolver.actor(group_uri)
    if group is None or group.local or group.ap_type != "Group":
        return ignored("the invited-to project could not be resolved as a Group")
    if await team_row(ctx.session, group, member) is not None:
        return ignored("the member is in that team already")
    if await pending_request(ctx.session, INVITE, group, member) is not None:
        return ignored("the member is invited to that project already")
    inviter = await _sender(ctx, incoming)
    role = role_of(incoming.body)
    ctx.session.add(new_request(incoming.id, INVITE, group, member, inviter, role, ctx.now))
    data = {"project": group.uri, "role": role.value}
    await notify(ctx.session, member.id, INVITATION, incoming.id, data, ctx.now)
    return processed("invitation recorded, member notified")


async def on_leave(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Someone leaves one of our projects: removed, Remove published (see leave_local)."""
    project = await _local_project(ctx, incoming.object_id)
    if project is None:
        return ignored("the Leave names none of our projects")
    leaver = await _sender(ctx, incoming)
    if leaver is None or await team_row(ctx.session, project, leaver) is None:
        return ignored("the leaving actor is not in the team")
    await leave_local(ctx.session, ctx.uris, project, leaver, ctx.now)
    return processed("left the team, Remove published")


async def _group_change(ctx: InboxContext, incoming: Incoming) -> tuple[Actor, Actor] | str:
    """The remote Group and the person of an Add/Remove on its members collection, or why not."""
    target = first_id(incoming.body.get("target"))
    if target is None or target != members_uri(incoming.actor_uri):
        return f"the {incoming.type} targets no members collection of its actor"
    if not same_origin(incoming.id, incoming.actor_uri):
        return f"the {incoming.type} id is not on its actor's origin"
    group = await _sender(ctx, incoming)
    if group is None or group.ap_type != "Group":
        return f"the {incoming.type} actor is not a remote Group"
    person_uri = member_of(incoming.body)
    person = await ctx.resolver.actor(person_uri) if person_uri else None
    if person is None or person.deleted_at is not None:
        return f"the person of the {incoming.type} could not be resolved"
    return group, person


async def _our_members(ctx: InboxContext, incoming: Incoming) -> Actor | None:
    """Our project whose members collection an Add/Remove targets, if any."""
    target = first_id(incoming.body.get("target"))
    if target is None or not ctx.uris.is_local(target) or not target.endswith("/members"):
        return None
    project = await _local_project(ctx, target.removesuffix("/members"))
    return project if project is not None and members_uri(project.uri) == target else None


async def _change_ours(ctx: InboxContext, incoming: Incoming, project: Actor) -> Outcome:
    """A remote coordinator changes a role in (Add) or removes someone from (Remove) our
    project's team, exactly as a local coordinator may; the project publishes the change."""
    sender = await _coordinator_of(ctx, incoming, project)
    if isinstance(sender, str):
        return ignored(sender)
    person_uri = member_of(incoming.body)
    person = await ctx.resolver.actor(person_uri) if person_uri else None
    if person is None or await team_row(ctx.session, project, person) is None:
        return ignored(f"the person of the {incoming.type} is not in the team (invite them)")
    try:
        if incoming.type == "Add":
            await change_role(ctx.session, ctx.uris, project, person, role_of(incoming.body),
                              ctx.now)  # fmt: skip
        else:
            await expel(ctx.session, ctx.uris, project, person, ctx.now)
    except Conflict as error:
        return ignored(error.message)
    return processed(f"{incoming.type} by a remote coordinator applied and published")


async def on_add(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A remote project adds someone to its members collection (or changes their role)."""
    ours = await _our_members(ctx, incoming)
    if ours is not None:
        return await _change_ours(ctx, incoming, ours)
    found = await _group_change(ctx, incoming)
    if isinstance(found, str):
        return ignored(found)
    group, person = found
    role = role_of(incoming.body)
    await add_to_team(ctx.session, group, person, role, ctx.now)
    for kind in (JOIN, INVITE):
        request = await pending_request(ctx.session, kind, group, person)
        if request is not None:
            request.state, request.answered_at = ACCEPTED, ctx.now
    await ctx.session.flush()
    return processed(f"team of {group.uri} updated: {person.uri} is {role.value}")


async def on_remove(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A remote project removes someone from its members collection."""
    ours = await _our_members(ctx, incoming)
    if ours is not None:
        return await _change_ours(ctx, incoming, ours)
    found = await _group_change(ctx, incoming)
    if isinstance(found, str):
        return ignored(found)
    group, person = found
    row = await team_row(ctx.session, group, person)
    if row is None:
        return ignored("the person was not in that team as we know it")
    await ctx.session.delete(row)
    await ctx.session.flush()
    return processed(f"team of {group.uri} updated: {person.uri} removed")


async def answer(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept or Reject of a Join or Invite; None when it answers none."""
    uri = id_of(incoming.object)
    if uri is None:
        return None
    request = await ctx.session.scalar(select(TeamRequest).where(TeamRequest.uri == uri))
    if request is None:
        return None
    project = await ctx.session.get(Actor, request.project_id)
    person = await ctx.session.get(Actor, request.actor_id)
    if project is None or person is None:
        return ignored("the request's project or person no longer exists")
    if request.state != PENDING:
        return ignored(f"the {request.kind} was {request.state} already")
    accept = incoming.type == "Accept"
    if project.local:
        return await _answer_ours(ctx, incoming, request, (project, person), accept)
    return await _answer_theirs(ctx, incoming, request, (project, person), accept)


async def _answer_ours(
    ctx: InboxContext,
    incoming: Incoming,
    request: TeamRequest,
    parties: tuple[Actor, Actor],
    accept: bool,
) -> Outcome:
    """An answer about one of our projects: a Join by a coordinator, an Invite by its invitee."""
    project, person = parties
    sender = await _sender(ctx, incoming)
    if sender is None:
        return ignored("the answering actor could not be resolved")
    if request.kind == JOIN:
        if not await coordinates(ctx.session, sender, project):
            return ignored("only a coordinator of the project may answer a Join")
        await answer_join(ctx.session, ctx.uris, request, accept, ctx.now)
        return processed(f"join {'accepted' if accept else 'rejected'} by a remote coordinator")
    if sender.id != person.id:
        return ignored("only the invitee may answer an Invite")
    request.state, request.answered_at = (ACCEPTED if accept else REJECTED), ctx.now
    if accept:
        await add_member(ctx.session, ctx.uris, project, person, Role(request.role), ctx.now)
    await ctx.session.flush()
    return processed(f"invitation {'accepted' if accept else 'rejected'} by the invitee")


async def _answer_theirs(
    ctx: InboxContext,
    incoming: Incoming,
    request: TeamRequest,
    parties: tuple[Actor, Actor],
    accept: bool,
) -> Outcome:
    """The remote project answers our member's Join (the Add that follows updates the team)."""
    project, person = parties
    if request.kind != JOIN or incoming.actor_uri != project.uri:
        return ignored("only the project may answer our member's Join")
    request.state, request.answered_at = (ACCEPTED if accept else REJECTED), ctx.now
    if accept:
        await add_to_team(ctx.session, project, person, role_of(incoming.body), ctx.now)
    await ctx.session.flush()
    return processed(f"our member's join {'accepted' if accept else 'rejected'} by the project")
