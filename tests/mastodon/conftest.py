"""Fixtures of the Mastodon client API's tests: the node (remotes faked), Anna and Bo."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import make_member
from tests.content import node_client
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, name="Alice Martin", preferredUsername="alice")
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna", name="Anna Lindqvist", language="sv")


@pytest.fixture
async def bo(db, settings):
    return await make_member(db, settings, "bo")
