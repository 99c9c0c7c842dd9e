"""Admin tokens: stored as hashes, checked on every write, refused with a Bearer challenge."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from smartnode.accounts.tokens import check_token, create_token, revoke_token
from smartnode.errors import Unauthorized
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import ApiToken
from tests.conftest import make_member

NEW_MEMBER = {"username": "anna", "name": "Anna Lindqvist"}


async def admin_headers(db: Database, label: str = "tests") -> dict[str, str]:
    """Arrange: a committed admin token, as the Authorization header that carries it."""
    async with db.session() as s, s.begin():
        token = await create_token(s, label=label, now=datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


async def count_actors(db: Database, kind: str) -> int:
    async with db.session() as s:
        found = await s.scalar(select(func.count()).select_from(Actor).where(Actor.kind == kind))
        return int(found or 0)


async def test_token_is_stored_only_as_its_sha256(db) -> None:
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        token = await create_token(s, label="ops laptop", now=moment)
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
    async with db.session() as s:
        rows = (await s.scalars(select(ApiToken))).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.label)
    assert (row.label, row.scope, row.created_at, row.last_used_at) == (
        "ops laptop",
        "admin",
        moment,
        None,
    )


async def test_check_token_notes_use_at_most_once_a_minute(db) -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    async with db.session() as s, s.begin():
        token = await create_token(s, label="ops", now=start)
    for offset, expected in ((0, 0), (30, 0), (61, 61)):
        async with db.session() as s, s.begin():
            await check_token(s, token, start + timedelta(seconds=offset))
        async with db.session() as s:
            used = await s.scalar(select(ApiToken.last_used_at))
        assert used == start + timedelta(seconds=expected)


async def test_unknown_and_revoked_tokens_are_refused(db) -> None:
    async with db.session() as s, s.begin():
        token = await create_token(s, label="old", now=datetime.now(UTC))
    async with db.session() as s:
        with pytest.raises(Unauthorized, match="not valid"):
            await check_token(s, token + "x", datetime.now(UTC))
    async with db.session() as s, s.begin():
        assert await revoke_token(s, label="old") == 1
    async with db.session() as s:
        with pytest.raises(Unauthorized):
            await check_token(s, token, datetime.now(UTC))


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "needs an admin token"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "Bearer"),
        ({"Authorization": "Bearer"}, "Bearer"),
        ({"Authorization": "Bearer not-a-token-we-made"}, "not valid"),
    ],
)
async def test_write_without_a_valid_token_is_401_and_creates_nothing(
    client, db, headers, message
) -> None:
    response = await client.post("/api/smart/v1/members", json=NEW_MEMBER, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "unauthorized" and message in body["error"]
    assert await count_actors(db, "member") == 0


async def test_revoked_token_no_longer_writes(client, db) -> None:
    headers = await admin_headers(db, label="temp")
    async with db.session() as s, s.begin():
        await revoke_token(s, label="temp")
    response = await client.post("/api/smart/v1/members", json=NEW_MEMBER, headers=headers)
    assert response.status_code == 401
    assert await count_actors(db, "member") == 0


async def test_valid_token_writes_and_records_its_use(client, db) -> None:
    response = await client.post(
        "/api/smart/v1/members", json=NEW_MEMBER, headers=await admin_headers(db)
    )
    assert response.status_code == 201
    assert await count_actors(db, "member") == 1
    async with db.session() as s:
        assert await s.scalar(select(ApiToken.last_used_at)) is not None


async def test_delete_without_token_leaves_member_alive(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    response = await client.delete("/api/smart/v1/members/anna")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    async with db.session() as s:
        assert await s.scalar(select(Actor.deleted_at).where(Actor.username == "anna")) is None


async def test_read_with_a_bad_token_is_refused_not_treated_as_anonymous(client, db) -> None:
    response = await client.get(
        "/api/smart/v1/members", headers={"Authorization": "Bearer forged-token"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/api/smart/v1/members")).status_code == 200
