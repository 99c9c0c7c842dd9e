"""A member's lists of accounts, as Mastodon keeps them, and their projects' teams as lists.

Own lists: a title, a replies policy (`followed`, `list`, `none`) and `exclusive`; on them only
accounts the member follows (as Mastodon requires: anyone else is "Record not found"), at most
MAX_LISTS lists. A team list (id `team-<project id>`) is there for each project the member is
on the team of: its accounts are the team, it cannot be changed here (the team changes it).
Services never commit; routes render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.follows import ACCEPTED
from smartnode.errors import Forbidden, NotFound, ValidationFailed
from smartnode.storage.models import Actor, Follow
from smartnode.storage.models_lists import ListAccount, MemberList
from smartnode.storage.models_profiles import ProjectMember
from smartnode.storage.windows import IdWindow, newest_first, windowed

POLICIES = ("followed", "list", "none")
TEAM_PREFIX = "team-"
MAX_LISTS = 50
MAX_TITLE = 200
NOT_FOUND = "Record not found"
READ_ONLY = "A project's team list changes with its team, not here"


@dataclass(frozen=True, slots=True)
class ListView:
    """One list as an app sees it; `project_id` for a team list, `row` for an own list."""

    id: str
    title: str
    replies_policy: str
    exclusive: bool
    row: MemberList | None = None
    project_id: int | None = None


def _own(row: MemberList) -> ListView:
    return ListView(str(row.id), row.title, row.replies_policy, row.exclusive, row=row)


def _team(project: Actor) -> ListView:
    title = project.name or project.username
    return ListView(f"{TEAM_PREFIX}{project.id}", title, "list", False, project_id=project.id)


def _teams_of(member: Actor) -> Select[Actor]:
    return (
        select(Actor)
        .join(ProjectMember, ProjectMember.project_id == Actor.id)
        .where(ProjectMember.member_id == member.id, Actor.deleted_at.is_(None))
        .order_by(Actor.id)
    )


async def member_lists(session: AsyncSession, member: Actor) -> list[ListView]:
    """The member's own lists (oldest first), then their projects' team lists."""
    rows = await session.scalars(
        select(MemberList).where(MemberList.actor_id == member.id).order_by(MemberList.id)
    )
    teams = await session.scalars(_teams_of(member))
    return [*(_own(r) for r in rows.all()), *(_team(p) for p in teams.all())]


async def get_list(session: AsyncSession, member: Actor, list_id: str) -> ListView:
    """One of the member's lists, own or team (NotFound for any other)."""
    if list_id.startswith(TEAM_PREFIX):
        number = list_id.removeprefix(TEAM_PREFIX)
        if number.isdigit() and len(number) <= 18:
            team = await session.scalar(_teams_of(member).where(Actor.id == int(number)))
            if team is not None:
                return _team(team)
        raise NotFound(NOT_FOUND)
    if list_id.isdigit() and len(list_id) <= 18:
        row = await session.get(MemberList, int(list_id))
        if row is not None and row.actor_id == member.id:
            return _own(row)
    raise NotFound(NOT_FOUND)


async def own_list(session: AsyncSession, member: Actor, list_id: str) -> MemberList:
    """One of the member's own lists, to change (Forbidden for a team list)."""
    found = await get_list(session, member, list_id)
    if found.row is None:
        raise Forbidden(READ_ONLY)
    return found.row


def _checked(title: str | None, policy: str | None) -> None:
    if title is not None and not title.strip():
        raise ValidationFailed("Validation failed: Title can't be blank")
    if title is not None and len(title) > MAX_TITLE:
        raise ValidationFailed(f"Validation failed: Title is too long (at most {MAX_TITLE})")
    if policy is not None and policy not in POLICIES:
        raise ValidationFailed("Validation failed: Replies policy is not one of followed, "
                               "list, none")  # fmt: skip


async def create_list(
    session: AsyncSession, member: Actor, title: str | None, policy: str | None,
    exclusive: bool, now: datetime,
) -> ListView:  # fmt: skip
    """A new list of the member (422 without a title, past MAX_LISTS, or a bad policy)."""
    _checked(title or "", policy)
    count = await session.scalar(
        select(func.count()).select_from(MemberList).where(MemberList.actor_id == member.id)
    )
    if (count or 0) >= MAX_LISTS:
        raise ValidationFailed(f"Validation failed: You cannot have more than {MAX_LISTS} lists")
    row = MemberList(
        actor_id=member.id,
        title=(title or "").strip(),
        replies_policy=policy or "list",
        exclusive=exclusive,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _own(row)


async def update_list(
    session: AsyncSession, member: Actor, list_id: str, title: str | None, policy: str | None,
    exclusive: bool | None,
) -> ListView:  # fmt: skip
    """Change what is given of an own list."""
    row = await own_list(session, member, list_id)
    _checked(title, policy)
    if title is not None:
        row.title = title.strip()
    if policy is not None:
        row.replies_policy = policy
    if exclusive is not None:
        row.exclusive = exclusive
    await session.flush()
    return _own(row)


async def delete_list(session: AsyncSession, member: Actor, list_id: str) -> None:
    await session.delete(await own_list(session, member, list_id))
    await session.flush()


def accounts_query(found: ListView) -> Select[int]:
    """The ids of the accounts on a list (a select of actor ids)."""
    if found.project_id is not None:
        return select(ProjectMember.member_id).where(ProjectMember.project_id == found.project_id)
    assert found.row is not None
    return select(ListAccount.actor_id).where(ListAccount.list_id == found.row.id)


async def list_accounts(
    session: AsyncSession, found: ListView, window: IdWindow | None
) -> list[Actor]:
    """The live accounts on a list, newest account first, in `window` (None: all)."""
    query = select(Actor).where(Actor.id.in_(accounts_query(found)), Actor.deleted_at.is_(None))
    if window is None:
        return list((await session.scalars(query.order_by(Actor.id.desc()))).all())
    rows = (await session.execute(windowed(query, Actor.id, window))).scalars().all()
    return newest_first(list(rows), window)


async def _followed(session: AsyncSession, member: Actor, ids: Sequence[int]) -> set[int]:
    rows = await session.scalars(
        select(Follow.followed_id).where(Follow.follower_id == member.id,
                                         Follow.followed_id.in_(ids), Follow.state == ACCEPTED)
    )  # fmt: skip
    return set(rows.all())


async def add_accounts(
    session: AsyncSession, member: Actor, list_id: str, account_ids: Sequence[int]
) -> None:
    """Put accounts the member follows on an own list (NotFound for any other; 422 for one
    already there, as Mastodon answers)."""
    row = await own_list(session, member, list_id)
    wanted = list(dict.fromkeys(account_ids))
    followed = await _followed(session, member, wanted) | {member.id}
    live = set((await session.scalars(
        select(Actor.id).where(Actor.id.in_(wanted), Actor.deleted_at.is_(None))
    )).all())  # fmt: skip
    if not wanted or any(i not in followed or i not in live for i in wanted):
        raise NotFound(NOT_FOUND)
    there = await session.scalars(
        select(ListAccount.actor_id).where(ListAccount.list_id == row.id,
                                           ListAccount.actor_id.in_(wanted))
    )  # fmt: skip
    if there.first() is not None:
        raise ValidationFailed("Validation failed: Account has already been taken")
    session.add_all([ListAccount(list_id=row.id, actor_id=i) for i in wanted])
    await session.flush()


async def remove_accounts(
    session: AsyncSession, member: Actor, list_id: str, account_ids: Sequence[int]
) -> None:
    """Take accounts off an own list (those not on it are no matter)."""
    row = await own_list(session, member, list_id)
    await session.execute(
        delete(ListAccount).where(ListAccount.list_id == row.id,
                                  ListAccount.actor_id.in_(list(account_ids)))
    )  # fmt: skip


async def lists_with(session: AsyncSession, member: Actor, account_id: int) -> list[ListView]:
    """The member's lists (own and team) that hold the account."""
    own = await session.scalars(
        select(MemberList)
        .join(ListAccount, ListAccount.list_id == MemberList.id)
        .where(MemberList.actor_id == member.id, ListAccount.actor_id == account_id)
        .order_by(MemberList.id)
    )
    on_team = select(ProjectMember.project_id).where(ProjectMember.member_id == account_id)
    teams = await session.scalars(_teams_of(member).where(Actor.id.in_(on_team)))
    return [*(_own(r) for r in own.all()), *(_team(p) for p in teams.all())]
