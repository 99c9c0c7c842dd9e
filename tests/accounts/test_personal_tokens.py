"""A member's own API tokens: made with the scopes they choose (the secret once, only its hash
kept), listed and revoked by that member alone; a limited token acts only within its scopes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode.accounts import personal_tokens as tokens
from smartnode.accounts import principal as principals
from smartnode.accounts.tokens import create_token, hash_token
from smartnode.content.notices import notify
from smartnode.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from smartnode.storage.models_accounts import ApiToken
from tests.conftest import make_member, now


async def test_a_member_makes_lists_and_revokes_their_own_token(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    me = principals.member(anna.id)
    async with db.session() as s, s.begin():
        secret = await tokens.create_my_token(s, me, "  My  calendar ", ["read", "write:events"],
                                              now())  # fmt: skip
    async with db.session() as s, s.begin():
        row = await s.scalar(select(ApiToken))
        assert (
            row is not None
            and row.token_hash == hash_token(secret)
            and secret not in str([row.token_hash, row.label])
        )
        assert (row.scope, row.actor_id, row.scopes) == ("member", anna.id, "read write:events")
        [mine] = await tokens.my_tokens(s, me)
        assert (mine.label, mine.last_used_at) == ("My calendar", None)
        assert mine.scopes == ("read", "write:events")
        await tokens.revoke_my_token(s, me, mine.id)
    async with db.session() as s:
        assert list(await s.scalars(select(ApiToken))) == []


async def test_bad_labels_and_scopes_are_refused(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    me = principals.member(anna.id)
    async with db.session() as s, s.begin():
        for label, scopes in (("", ["read"]), ("x" * 101, ["read"]), ("ok", []),
                              ("ok", ["read", "admin"])):  # fmt: skip
            with pytest.raises(ValidationFailed):
                await tokens.create_my_token(s, me, label, scopes, now())
        assert await tokens.my_tokens(s, me) == []


async def test_no_one_else_sees_or_revokes_a_members_tokens(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    async with db.session() as s, s.begin():
        await tokens.create_my_token(s, principals.member(anna.id), "phone", ["read"], now())
        await create_token(s, label="ops", now=now())  # an admin token: nobody's
        [theirs] = await tokens.my_tokens(s, principals.member(anna.id))
        assert await tokens.my_tokens(s, principals.member(bo.id)) == []
        with pytest.raises(NotFound):
            await tokens.revoke_my_token(s, principals.member(bo.id), theirs.id)
        admin_row = await s.scalar(select(ApiToken.id).where(ApiToken.scope == "admin"))
        with pytest.raises(NotFound):
            await tokens.revoke_my_token(s, principals.member(anna.id), admin_row or 0)
        limited = principals.member(anna.id, frozenset({"read"}))
        for who in (limited, principals.app(anna.id, 1, principals.ALL_SCOPES),
                    principals.admin(anna.id)):  # fmt: skip
            with pytest.raises(Forbidden):
                await tokens.my_tokens(s, who)
        with pytest.raises(Unauthorized):
            await tokens.create_my_token(s, principals.ANONYMOUS, "x", ["read"], now())
    async with db.session() as s:
        assert len(list(await s.scalars(select(ApiToken)))) == 2


async def test_a_limited_token_acts_only_within_its_scopes(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        await notify(s, anna.id, "call_match", "https://x.example/calls/1", {}, now())
        secret = await tokens.create_my_token(s, principals.member(anna.id), "reader",
                                              ["read:notifications"], now())  # fmt: skip
        full = await create_token(s, label="cli", now=now(), actor_id=anna.id)
    reader = {"Authorization": f"Bearer {secret}"}
    listed = await client.get("/api/smart/v1/notifications", headers=reader)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    item = listed.json()["items"][0]["id"]
    refused = await client.post(f"/api/smart/v1/notifications/{item}/read", headers=reader)
    assert refused.status_code == 403 and "write:notifications" in refused.text
    done = await client.post(f"/api/smart/v1/notifications/{item}/read",
                             headers={"Authorization": f"Bearer {full}"})  # fmt: skip
    assert done.status_code == 200 and done.json()["read_at"] is not None
    async with db.session() as s:
        used = await s.scalar(select(ApiToken).where(ApiToken.label == "reader"))
        assert used is not None and used.last_used_at is not None
