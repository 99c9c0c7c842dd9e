"""Reaction counters are written at commit: a rolled-back transaction leaves no count behind,
and what it bumped is not applied by the next transaction of the same session."""

from __future__ import annotations

import pytest

from smartnode.content.reactions import bump
from smartnode.storage.models import ContentObject
from tests.conftest import make_member
from tests.content import make_post


async def _counts(db, object_id: int) -> tuple[int, int, int]:
    async with db.session() as s:
        row = await s.get(ContentObject, object_id)
        assert row is not None
        return row.likes_count, row.announces_count, row.replies_count


async def test_counts_land_at_commit_and_a_rollback_forgets_them(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna)
    async with db.session() as s:
        with pytest.raises(RuntimeError):
            async with s.begin():
                await bump(s, post.id, "like", 5)
                raise RuntimeError("a handler failed")
        async with s.begin():
            await bump(s, post.id, "like", 1)
            await bump(s, post.id, "announce", 2)
            await bump(s, post.id, "reply", 1)
            await bump(s, post.id, "reply", -1)
    assert await _counts(db, post.id) == (1, 2, 0)
    async with db.session() as s, s.begin():
        await bump(s, post.id, "announce", -5)  # never below zero: left as it was
    assert await _counts(db, post.id) == (1, 2, 0)


async def test_a_savepoint_keeps_its_bumps_to_itself(db, settings) -> None:
    """A savepoint's commit applies nothing (the outer commit does, once); its rollback forgets
    the bumps made inside it and keeps those made before it, also through a savepoint
    released into the one rolled back."""
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna)
    async with db.session() as s, s.begin():
        await bump(s, post.id, "like", 1)
        async with s.begin_nested():
            await bump(s, post.id, "announce", 1)
        assert (await _counts_in(s, post.id))[:2] == (0, 0)  # nothing written at the savepoint
        savepoint = await s.begin_nested()
        async with s.begin_nested():
            await bump(s, post.id, "like", 10)
        await bump(s, post.id, "reply", 3)
        await savepoint.rollback()
        await bump(s, post.id, "reply", 1)
    assert await _counts(db, post.id) == (1, 1, 1)


async def _counts_in(s, object_id: int) -> tuple[int, int, int]:
    row = await s.get(ContentObject, object_id, populate_existing=True)
    assert row is not None
    return row.likes_count, row.announces_count, row.replies_count
