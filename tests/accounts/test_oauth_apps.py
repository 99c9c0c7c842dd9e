"""App registration (POST /api/v1/apps) in Mastodon's shapes, the server's metadata, and the
app's own token (client credentials) that acts for nobody."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from smartnode.storage.models_accounts import ApiToken, OAuthClient
from tests.accounts.test_oauth_support import CALLBACK, add_whoami_route, bearer, register

OOB = "urn:ietf:wg:oauth:2.0:oob"


async def test_registration_answers_mastodons_credential_application(client, db) -> None:
    app = await register(client, website="https://tusky.app", scopes="read write follow")
    assert set(app) == {
        "id", "name", "website", "scopes", "redirect_uri", "redirect_uris", "client_id",
        "client_secret", "client_secret_expires_at",
    }  # fmt: skip
    assert isinstance(app["id"], str)
    assert app["name"] == "Tusky"
    assert app["website"] == "https://tusky.app"
    assert app["scopes"] == ["read", "write", "follow"]
    assert app["redirect_uris"] == [CALLBACK]
    assert app["redirect_uri"] == CALLBACK
    assert app["client_secret_expires_at"] == 0
    async with db.session() as s:
        row = await s.scalar(select(OAuthClient))
    assert row is not None and str(row.id) == app["id"]
    assert row.secret_hash == hashlib.sha256(app["client_secret"].encode()).hexdigest()
    assert app["client_secret"] not in (row.secret_hash, row.client_id)


async def test_form_bodies_with_newline_or_list_redirect_uris(client) -> None:
    two = f"{CALLBACK}\n{OOB}"
    response = await client.post(
        "/api/v1/apps", data={"client_name": "Ivory", "redirect_uris": two}
    )
    assert response.status_code == 200, response.text
    app = response.json()
    assert app["redirect_uris"] == [CALLBACK, OOB]
    assert app["redirect_uri"] == two
    assert app["scopes"] == ["read"]  # Mastodon's default
    assert app["website"] is None
    listed = await client.post(
        "/api/v1/apps",
        data={"client_name": "Ice Cubes", "redirect_uris[]": ["icecubes://auth", OOB]},
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["redirect_uris"] == ["icecubes://auth", OOB]


async def test_custom_scheme_and_loopback_redirects_are_accepted(client) -> None:
    for uri in ("com.example.app:/oauth2redirect", "myapp://callback", "http://127.0.0.1:8765/cb"):
        app = await register(client, redirect_uris=uri)
        assert app["redirect_uris"] == [uri]


@pytest.mark.parametrize(
    ("redirect_uris", "words"),
    [
        ("javascript:alert(1)", "scheme is not allowed"),
        ("data:text/html,hi", "scheme is not allowed"),
        ("https://app.example/cb#frag", "must not have a fragment"),
        ("/callback", "must be an absolute URI"),
        ("https:///callback", "has no host"),
        ("https://user:pw@app.example/cb", "must not carry a user"),
        ("", "redirect_uris: is required"),
    ],
)
async def test_bad_redirect_uris_are_refused_with_a_clear_error(
    client, redirect_uris, words
) -> None:
    response = await client.post(
        "/api/v1/apps", json={"client_name": "Evil", "redirect_uris": redirect_uris}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert words in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"redirect_uris": CALLBACK}, "client_name: is required"),
        ({"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read admin:write"},
         "unknown scope admin:write"),
        ({"client_name": "x", "redirect_uris": CALLBACK, "website": "ftp://x.example"},
         "website: must be an http(s) URL"),
        ({"client_name": "x", "redirect_uris": CALLBACK, "token_endpoint_auth_method": "jwt"},
         "token_endpoint_auth_method"),
    ],
)  # fmt: skip
async def test_other_bad_registrations_name_the_field(client, body, words) -> None:
    response = await client.post("/api/v1/apps", json=body)
    assert response.status_code == 422
    assert words in response.json()["error"]


async def test_an_app_without_a_secret_registers_with_auth_method_none(client, db) -> None:
    app = await register(client, token_endpoint_auth_method="none")
    assert "client_secret" not in app
    async with db.session() as s:
        row = await s.scalar(select(OAuthClient))
    assert row is not None and row.secret_hash is None


async def test_metadata_lists_what_mastodon_43_serves(client, settings) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    base = settings.base_url
    assert meta["issuer"] == f"{base}/"
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code", "client_credentials", "refresh_token"
    }  # fmt: skip
    assert {"client_secret_basic", "client_secret_post"} <= set(
        meta["token_endpoint_auth_methods_supported"]
    )
    assert {"read", "write", "follow", "push", "write:statuses"} <= set(meta["scopes_supported"])


async def client_token(client, app, **extra) -> str:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app["client_id"],
              "client_secret": app["client_secret"], **extra},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    return str(body["access_token"])


async def test_client_credentials_token_verifies_the_app(client, db) -> None:
    app = await register(client)
    token = await client_token(client, app)
    response = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    assert response.status_code == 200
    seen = response.json()
    assert seen["name"] == "Tusky" and seen["id"] == app["id"]
    assert "client_secret" not in seen and "client_id" not in seen
    async with db.session() as s:
        row = await s.scalar(select(ApiToken))
    assert row is not None
    assert (row.scope, row.actor_id, row.scopes) == ("client", None, "read")
    anonymous = await client.get("/api/v1/apps/verify_credentials")
    assert anonymous.status_code == 401


async def test_an_apps_own_token_acts_for_nobody_and_is_never_admin(app, client) -> None:
    add_whoami_route(app)
    registered = await register(client)
    token = await client_token(client, registered, scope="read write")
    who = (await client.get("/test/whoami", headers=bearer(token))).json()
    assert who == {
        "kind": "app", "actor_id": None, "client_id": int(registered["id"]),
        "scopes": ["read", "write"], "is_admin": False,
    }  # fmt: skip
    # an admin write, a member route, and acting as someone: all refused
    create = await client.post(
        "/api/smart/v1/members", json={"username": "mallory", "name": "M"}, headers=bearer(token)
    )
    assert create.status_code == 403
    notes = await client.get("/api/smart/v1/notifications", headers=bearer(token))
    assert notes.status_code == 403
    acting = await client.get("/test/whoami?as=anna", headers=bearer(token))
    assert acting.status_code == 403


async def test_client_credentials_scope_stays_within_the_registration(client) -> None:
    app = await register(client, scopes="read")
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app["client_id"],
              "client_secret": app["client_secret"], "scope": "read write"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_an_app_without_a_secret_gets_no_token_of_its_own(client) -> None:
    app = await register(client, token_endpoint_auth_method="none")
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": app["client_id"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


async def test_wrong_secret_is_invalid_client_with_401(client) -> None:
    app = await register(client)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app["client_id"],
              "client_secret": "nope"},
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_token_of_an_unknown_kind_is_refused_not_taken_for_admin(app, client, db) -> None:
    add_whoami_route(app)
    async with db.session() as s, s.begin():
        s.add(ApiToken(token_hash=hashlib.sha256(b"odd").hexdigest(), label="odd",
                       scope="bogus", created_at=datetime.now(UTC)))  # fmt: skip
    answer = await client.get("/test/whoami", headers=bearer("odd"))
    assert answer.status_code == 403
