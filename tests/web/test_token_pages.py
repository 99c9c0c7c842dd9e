"""A member's API tokens in the browser: made with a name and ticked scopes (the secret shown
once, only its hash stored), listed with what each may do, revoked; refused to visitors, for
another member's token, without the CSRF token and with bad input (kept, nothing written)."""

from __future__ import annotations

import re

from sqlalchemy import select

from smartnode.accounts.tokens import create_token, hash_token
from smartnode.storage.models_accounts import ApiToken
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import now

PATH = "/account/tokens"


async def _tokens(db) -> list[ApiToken]:
    async with db.session() as s:
        return list(await s.scalars(select(ApiToken).order_by(ApiToken.id)))


async def _signed_in(client, db, settings):
    anna = await member_with_password(db, settings, "anna")
    await sign_in(client, "anna")
    page = await client.get(PATH)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    return anna, hidden_fields(page.text)["csrf"], page.text


async def test_a_member_makes_a_token_sees_it_once_and_revokes_it(client, db, settings) -> None:
    anna, csrf, page = await _signed_in(client, db, settings)
    assert "You have no API token." in page and 'value="write:calls"' in page
    assert 'href="/account/apps"' in page
    made = await client.post(PATH, data={"csrf": csrf, "label": "My calendar",
                                         "scope": ["read", "write:events"]})  # fmt: skip
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="f-secret" type="text" value="([^"]+)"', made.text)
    assert secret is not None and "shown only this once" in made.text
    [row] = await _tokens(db)
    assert row.token_hash == hash_token(secret.group(1)) and row.actor_id == anna.id
    assert (row.label, row.scope, row.scopes) == ("My calendar", "member", "read write:events")
    again = await client.get(PATH)
    assert secret.group(1) not in again.text and "My calendar" in again.text
    assert "Publish and edit events." in again.text and "Never" in again.text
    used = await client.get("/api/smart/v1/notifications",
                            headers={"Authorization": f"Bearer {secret.group(1)}"})  # fmt: skip
    assert used.status_code == 200
    assert "Never" not in (await client.get(PATH)).text  # its last use is shown
    gone = await client.post(f"{PATH}/{row.id}/revoke", data={"csrf": csrf})
    assert gone.status_code == 303 and gone.headers["location"] == f"{PATH}?done=revoked"
    assert await _tokens(db) == []
    assert "The token was revoked." in (await client.get(gone.headers["location"])).text


async def test_bad_input_comes_back_with_its_errors_and_nothing_is_made(
    client, db, settings
) -> None:
    _, csrf, _ = await _signed_in(client, db, settings)
    bad = await client.post(PATH, data={"csrf": csrf, "label": "  ", "scope": []})
    assert bad.status_code == 422 and 'class="error-summary"' in bad.text
    assert 'href="#f-label"' in bad.text and 'href="#scopes-legend"' in bad.text
    kept = await client.post(PATH, data={"csrf": csrf, "label": "Script",
                                         "scope": ["admin"]})  # fmt: skip
    assert kept.status_code == 422 and 'value="Script"' in kept.text
    assert "Tick at least one thing the token may do." in kept.text
    long = await client.post(PATH, data={"csrf": csrf, "label": "x" * 101, "scope": ["read"]})
    assert long.status_code == 422 and 'id="s-read" name="scope" value="read" checked' in long.text
    assert await _tokens(db) == []


async def test_refusals_write_nothing(client, db, settings) -> None:
    visitor = await client.get(PATH)
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin?")
    bo = await member_with_password(db, settings, "bo")
    async with db.session() as s, s.begin():
        await create_token(s, label="bo's", now=now(), actor_id=bo.id)
        await create_token(s, label="ops", now=now())
    _, csrf, page = await _signed_in(client, db, settings)
    assert "bo&#39;s" not in page and "ops" not in page.split("<main", 1)[1]
    theirs, admin = await _tokens(db)
    for row in (theirs, admin):
        other = await client.post(f"{PATH}/{row.id}/revoke", data={"csrf": csrf})
        assert other.status_code == 404
    forged = await client.post(PATH, data={"csrf": "forged", "label": "x", "scope": ["read"]})
    assert forged.status_code == 403
    foreign = await client.post(PATH, data={"csrf": csrf, "label": "x", "scope": ["read"]},
                                headers={"Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403
    assert len(await _tokens(db)) == 2
