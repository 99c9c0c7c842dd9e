"""What the pages ask the domain before offering buttons: where a member stands with an event
(participation_cases.standing) and who may edit a post (post_cases.may_edit_post)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartnode.accounts import principal as principals
from smartnode.actors.records import node_uris
from smartnode.content import participation_cases, post_cases
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.errors import NotFound
from tests.conftest import make_member, make_project
from tests.content import make_post

SOON = datetime.now(UTC) + timedelta(days=5)


async def test_standing_names_the_state_and_the_organisers(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    ben = await make_member(db, settings, "ben")
    cleo = await make_member(db, settings, "cleo")
    jazz = await make_project(db, settings, "Jazz", "anna")
    uris = node_uris(settings)
    data = EventInput.model_validate({"name": "Rehearsal", "content": "Come", "join_mode":
                                      "restricted", "starts_at": SOON.isoformat(),
                                      "timezone": "Europe/Brussels",
                                      "online_url": "https://meet.example/r"})  # fmt: skip
    async with db.session() as s, s.begin():
        event = await create_event(s, uris, author=jazz, data=data, now=datetime.now(UTC))
        token = uris.event_token(event.uri)
        assert token is not None
        await participation_cases.take_part(s, uris, principals.member(ben.id), event.uri, "",
                                            datetime.now(UTC))  # fmt: skip
    async with db.session() as s, s.begin():
        mine = await participation_cases.standing(s, uris, principals.member(anna.id), token)
        bens = await participation_cases.standing(s, uris, principals.member(ben.id), token)
        cleos = await participation_cases.standing(s, uris, principals.member(cleo.id), token)
    assert (mine.state, mine.organizes) == (None, True)
    assert (bens.state, bens.organizes) == ("pending", False)
    assert (cleos.state, cleos.organizes) == (None, False) and cleos.event.id == event.id


async def test_a_hidden_event_does_not_exist_for_a_stranger(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    ben = await make_member(db, settings, "ben")
    uris = node_uris(settings)
    data = EventInput.model_validate({"name": "Private", "content": "Shh", "visibility":
                                      "followers", "starts_at": SOON.isoformat(),
                                      "timezone": "UTC",
                                      "online_url": "https://meet.example/p"})  # fmt: skip
    async with db.session() as s, s.begin():
        event = await create_event(s, uris, author=anna, data=data, now=datetime.now(UTC))
    token = uris.event_token(event.uri)
    assert token is not None
    async with db.session() as s, s.begin():
        with pytest.raises(NotFound):
            await participation_cases.standing(s, uris, principals.member(ben.id), token)


async def test_only_the_author_or_a_coordinator_may_edit_a_post(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    ben = await make_member(db, settings, "ben")
    post = await make_post(db, settings, anna)
    uris = node_uris(settings)
    token = uris.note_token(post.uri)
    assert token is not None
    async with db.session() as s, s.begin():
        assert await post_cases.may_edit_post(s, uris, principals.member(anna.id), token)
        assert not await post_cases.may_edit_post(s, uris, principals.member(ben.id), token)
        nobody = principals.Principal(kind="anonymous")
        assert not await post_cases.may_edit_post(s, uris, nobody, token)
        assert not await post_cases.may_edit_post(s, uris, principals.member(anna.id), "ff")
