"""A member's preferences and reading markers through a Mastodon app's token: Mastodon's
entities, its scopes (`read:accounts`, `read:statuses`, `write:statuses`) and its refusals in
its words, and the markers kept in the database for the member's other apps."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from smartnode.accounts.tokens import create_token
from smartnode.storage.models import Actor
from tests.accounts.test_oauth_support import (
    bearer,
    browse_as,
    granted_tokens,
    register,
    signed_in_member,
)
from tests.conftest import make_member, now

INVALID = {"error": "The access token is invalid"}
OUTSIDE = {"error": "This action is outside the authorized scopes"}


async def _token(client, db, settings, scope: str, username: str = "anna") -> str:
    member = await signed_in_member(db, settings, username)
    app = await register(client, scopes="read write")
    tokens = await granted_tokens(client, member, app, scope=scope)
    browse_as(client, None)
    return str(tokens["access_token"])


async def _client_token(client) -> str:
    app = await register(client)
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app["client_id"],
              "client_secret": app["client_secret"]},
    )  # fmt: skip
    return str(answer.json()["access_token"])


async def test_preferences_are_mastodons_entity(client, db, settings) -> None:
    token = await _token(client, db, settings, "read:accounts")
    response = await client.get("/api/v1/preferences", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": "en",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/preferences"), ("GET", "/api/v1/markers"), ("POST", "/api/v1/markers")],
)
async def test_no_token_or_a_bad_one_is_401_in_mastodons_words(client, method, path) -> None:
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic eDp5"}):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.json() == INVALID
        assert response.headers["www-authenticate"].startswith(
            'Bearer realm="Doorkeeper", error="invalid_token"'
        )


async def test_a_token_without_the_scope_is_403(client, db, settings) -> None:
    token = await _token(client, db, settings, "read:statuses")
    preferences = await client.get("/api/v1/preferences", headers=bearer(token))
    assert (preferences.status_code, preferences.json()) == (403, OUTSIDE)
    write = await client.post(
        "/api/v1/markers", json={"home": {"last_read_id": "5"}}, headers=bearer(token)
    )
    assert (write.status_code, write.json()) == (403, OUTSIDE)
    async with db.session() as s:
        anna = await s.scalar(select(Actor).filter_by(username="anna"))
    assert anna is not None and "markers" not in anna.remote_profile  # nothing written


async def test_an_apps_own_token_has_no_member_and_is_422(client) -> None:
    token = await _client_token(client)
    for path in ("/api/v1/preferences", "/api/v1/markers"):
        response = await client.get(path, headers=bearer(token))  # `read` covers both
        assert (response.status_code, response.json()) == (
            422, {"error": "This method requires an authenticated user"},
        ), path  # fmt: skip


async def test_markers_are_saved_read_and_versioned(client, db, settings) -> None:
    token = await _token(client, db, settings, "read write")
    nothing = await client.get("/api/v1/markers", params={"timeline[]": ["home"]},
                               headers=bearer(token))  # fmt: skip
    assert (nothing.status_code, nothing.json()) == (200, {})
    saved = await client.post(
        "/api/v1/markers", json={"home": {"last_read_id": "103"}}, headers=bearer(token)
    )
    assert saved.status_code == 200, saved.text
    home = saved.json()["home"]
    assert set(saved.json()) == {"home"}
    assert home["last_read_id"] == "103" and home["version"] == 0
    assert home["updated_at"].endswith("Z") and "." in home["updated_at"]
    again = await client.post(  # a form body, as some apps send
        "/api/v1/markers",
        data={"home[last_read_id]": "110", "notifications[last_read_id]": "7"},
        headers=bearer(token),
    )
    assert again.status_code == 200, again.text
    assert again.json()["home"]["version"] == 1
    assert again.json()["notifications"]["version"] == 0
    same = await client.post(
        "/api/v1/markers", json={"home": {"last_read_id": "110"}}, headers=bearer(token)
    )
    assert same.json()["home"]["version"] == 1  # unchanged id: unchanged version
    both = await client.get(
        "/api/v1/markers", params={"timeline[]": ["home", "notifications", "lists"]},
        headers=bearer(token),
    )  # fmt: skip
    assert both.status_code == 200
    assert {name: m["last_read_id"] for name, m in both.json().items()} == {
        "home": "110", "notifications": "7",
    }  # fmt: skip
    none_named = await client.get("/api/v1/markers", headers=bearer(token))
    assert none_named.json() == {}
    async with db.session() as s:
        anna = await s.scalar(select(Actor).filter_by(username="anna"))
    assert anna is not None
    stored = anna.remote_profile["markers"]
    assert stored["home"]["last_read_id"] == "110" and stored["home"]["version"] == 1


async def test_markers_are_the_members_own(client, db, settings) -> None:
    anna = await _token(client, db, settings, "read write", "anna")
    bo = await _token(client, db, settings, "read write", "bo")
    await client.post("/api/v1/markers", json={"home": {"last_read_id": "9"}},
                      headers=bearer(anna))  # fmt: skip
    seen = await client.get("/api/v1/markers", params={"timeline[]": "home"}, headers=bearer(bo))
    assert seen.json() == {}


async def test_two_saves_at_once_both_count(client, db, settings) -> None:
    token = await _token(client, db, settings, "write:statuses read:statuses")
    first, second = await asyncio.gather(
        client.post("/api/v1/markers", json={"home": {"last_read_id": "1"}},
                    headers=bearer(token)),
        client.post("/api/v1/markers", json={"notifications": {"last_read_id": "2"}},
                    headers=bearer(token)),
    )  # fmt: skip
    assert first.status_code == second.status_code == 200
    seen = await client.get(
        "/api/v1/markers", params={"timeline[]": ["home", "notifications"]}, headers=bearer(token)
    )
    assert set(seen.json()) == {"home", "notifications"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"home": {"last_read_id": "1 OR 1=1"}}, 422),
        ({"home": {"last_read_id": 5}}, 422),
        ({"home": {"last_read_id": "x" * 65}}, 422),
        ({"home": "5"}, 422),
        ({"lists": {"last_read_id": "5"}}, 422),
        ([1, 2], 400),
    ],
)
async def test_bad_marker_bodies_are_refused_and_nothing_is_kept(
    client, db, settings, body, status
) -> None:
    token = await _token(client, db, settings, "read write")
    response = await client.post("/api/v1/markers", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    async with db.session() as s:
        anna = await s.scalar(select(Actor).filter_by(username="anna"))
    assert anna is not None and "markers" not in anna.remote_profile
    bad_json = await client.post(
        "/api/v1/markers", content=b"{", headers={**bearer(token), "Content-Type":
                                                  "application/json"},
    )  # fmt: skip
    assert bad_json.status_code == 400 and set(bad_json.json()) == {"error"}


async def test_a_members_personal_token_works_and_an_admin_token_alone_is_422(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        personal = await create_token(s, label="anna's script", now=now(), actor_id=anna.id)
        admin = await create_token(s, label="ops", now=now())
    mine = await client.get("/api/v1/preferences", headers=bearer(personal))
    assert mine.status_code == 200 and mine.json()["posting:default:visibility"] == "public"
    alone = await client.get("/api/v1/preferences", headers=bearer(admin))
    assert (alone.status_code, alone.json()) == (
        422, {"error": "This method requires an authenticated user"},
    )  # fmt: skip
    not_an_app = await client.get("/api/v1/apps/verify_credentials", headers=bearer(personal))
    assert not_an_app.status_code == 403 and set(not_an_app.json()) == {"error"}
