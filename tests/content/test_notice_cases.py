"""A member's notifications through the use cases: all marked read at once, the unread counted;
only their own, and an app needs the scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode.accounts import principal as principals
from smartnode.content import notice_cases as cases
from smartnode.content.notices import notify
from smartnode.errors import Forbidden, NotFound, Unauthorized
from smartnode.storage.models_work import Notification
from tests.conftest import make_member, now


async def _arrange(db, settings):
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    async with db.session() as s, s.begin():
        for n in range(3):
            await notify(s, anna.id, "call_match", f"https://x.example/calls/{n}", {}, now())
        await notify(s, bo.id, "call_match", "https://x.example/calls/0", {}, now())
    return anna, bo


async def test_all_of_a_members_notifications_are_marked_read_and_no_one_elses(
    db, settings
) -> None:
    anna, bo = await _arrange(db, settings)
    me = principals.member(anna.id)
    async with db.session() as s, s.begin():
        assert await cases.unread_count(s, me) == 3
        assert await cases.mark_all_read(s, me, now()) == 3
        assert await cases.unread_count(s, me) == 0
        assert await cases.unread_count(s, principals.member(bo.id)) == 1
        assert await cases.mark_all_read(s, me, now()) == 0
    async with db.session() as s:
        unread = await s.scalars(
            select(Notification.actor_id).where(Notification.read_at.is_(None))
        )
        assert list(unread) == [bo.id]


async def test_marking_another_members_notification_is_refused(db, settings) -> None:
    anna, bo = await _arrange(db, settings)
    async with db.session() as s, s.begin():
        theirs = await s.scalar(select(Notification.id).where(Notification.actor_id == bo.id))
        assert theirs is not None
        with pytest.raises(NotFound):
            await cases.mark_read(s, principals.member(anna.id), settings.domain, theirs, None,
                                  now())  # fmt: skip


async def test_an_app_needs_the_scope_and_a_visitor_is_refused(db, settings) -> None:
    anna, _ = await _arrange(db, settings)
    reader = principals.app(anna.id, 1, frozenset({"read:notifications"}))
    async with db.session() as s, s.begin():
        assert await cases.unread_count(s, reader) == 3
        with pytest.raises(Forbidden):
            await cases.mark_all_read(s, reader, now())
        with pytest.raises(Unauthorized):
            await cases.unread_count(s, principals.ANONYMOUS)
