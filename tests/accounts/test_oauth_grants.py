"""The member's apps page: which apps act for them, since when, last used, and Revoke."""

from __future__ import annotations

import re

import pytest

from smartnode.accounts import principal as principals
from smartnode.accounts.oauth_grants import granted_apps, revoke_app
from smartnode.errors import Forbidden
from tests.accounts.test_oauth_support import (
    Member,
    bearer,
    browse_as,
    consent_page,
    granted_tokens,
    hidden_fields,
    register,
    signed_in_member,
)

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def grant(client, member: Member, app: dict, scope: str = "read") -> str:
    """Arrange: the member allows the app; the app's access token."""
    return str((await granted_tokens(client, member, app, scope))["access_token"])


async def works(client, token: str) -> bool:
    browse_as(client, None)
    response = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    return response.status_code == 200


async def apps_page(client, member: Member):
    browse_as(client, member)
    return await client.get("/account/apps")


async def test_signed_out_goes_to_sign_in(client) -> None:
    browse_as(client, None)
    response = await client.get("/account/apps")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%2Fapps"


async def test_the_page_lists_each_app_once_with_its_scopes(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    tusky = await register(client, website="https://tusky.app")
    ivory = await register(client, client_name="Ivory")
    await grant(client, anna, tusky, "read")
    await grant(client, anna, tusky, "write:statuses")
    used = await grant(client, anna, ivory)
    assert await works(client, used)
    page = await apps_page(client, anna)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text and "<h1>Your apps</h1>" in page.text
    assert page.text.count("<h2>Tusky</h2>") == 1 and "<h2>Ivory</h2>" in page.text
    assert 'href="https://tusky.app"' in page.text
    assert "Publish, edit and delete posts." in page.text and "<code>read</code>" in page.text
    assert "Never" in page.text  # Tusky's tokens were not used yet; Ivory's was
    assert page.text.count("<time datetime=") == 3
    assert page.headers["cache-control"] == "no-store"


async def test_the_page_speaks_the_members_language(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    browse_as(client, anna)
    page = await client.get("/account/apps", headers={"Accept-Language": "sv"})
    assert '<html lang="sv">' in page.text and "Dina appar" in page.text


async def test_revoke_ends_that_apps_access_only(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    tusky, ivory = await register(client), await register(client, client_name="Ivory")
    first, second = await grant(client, anna, tusky), await grant(client, anna, tusky, "write")
    other = await grant(client, anna, ivory)
    page = await apps_page(client, anna)
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    answer = await client.post(f"/account/apps/{tusky['id']}/revoke", data={"csrf": csrf[1]})
    assert answer.status_code == 303 and answer.headers["location"] == "/account/apps?revoked=1"
    assert not await works(client, first) and not await works(client, second)
    assert await works(client, other)
    browse_as(client, anna)
    after = await client.get(answer.headers["location"])
    assert 'role="status">The app\'s access was revoked.' in after.text
    assert "<h2>Tusky</h2>" not in after.text and "<h2>Ivory</h2>" in after.text


async def test_revoke_without_csrf_is_refused(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    token = await grant(client, anna, app)
    browse_as(client, anna)
    answer = await client.post(f"/account/apps/{app['id']}/revoke", data={})
    assert answer.status_code == 403
    assert await works(client, token)


async def test_another_member_cannot_revoke_anothers_grant(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    bob = await signed_in_member(db, settings, "bob")
    app = await register(client)
    token = await grant(client, anna, app)
    page = await apps_page(client, bob)
    assert "You have not allowed any app" in page.text
    # bob has no Revoke form; he takes a valid CSRF token from another form of his own
    consent = await consent_page(client, bob, client_id=app["client_id"])
    csrf = hidden_fields(consent.text)["csrf"]
    answer = await client.post(f"/account/apps/{app['id']}/revoke", data={"csrf": csrf})
    assert answer.status_code == 303
    assert await works(client, token)


async def test_an_app_cannot_list_or_revoke_grants(db, settings) -> None:
    as_app = principals.app(1, 1, frozenset({"read", "write"}))
    async with db.session() as s:
        with pytest.raises(Forbidden):
            await granted_apps(s, as_app)
        with pytest.raises(Forbidden):
            await revoke_app(s, as_app, 1)
