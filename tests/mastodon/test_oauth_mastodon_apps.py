"""Apps and OAuth as Mastodon apps use them, beyond the flows of tests/accounts/test_oauth_*:
the bodies real libraries send (multipart forms, JSON lists, `+`-joined scopes), the exact
answers they parse (Token, Application, errors in Mastodon's words), and CORS for apps that
run in a browser (Elk, Phanpy)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from smartnode.storage.models_accounts import ApiToken
from tests.accounts.test_oauth_support import (
    CALLBACK,
    authorization_code,
    bearer,
    browse_as,
    consent_page,
    granted_tokens,
    hidden_fields,
    pkce_pair,
    register,
    signed_in_member,
)

OOB = "urn:ietf:wg:oauth:2.0:oob"
INVALID = {"error": "The access token is invalid"}


async def test_the_token_answer_is_mastodons_token_entity(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, scopes="read write follow push")
    before = int(time.time())
    token = await granted_tokens(client, anna, app, scope="read write follow push")
    assert set(token) == {"access_token", "token_type", "scope", "created_at", "refresh_token"}
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write follow push"  # a space-separated string
    assert isinstance(token["created_at"], int) and before - 1 <= token["created_at"] <= before + 5
    async with db.session() as s:
        row = await s.scalar(select(ApiToken).where(ApiToken.client_id == int(app["id"])))
    assert row is not None
    assert (row.scope, row.scopes, row.actor_id) == ("app", "read write follow push", anna.actor.id)


async def test_plus_joined_scopes_in_the_authorization_url(client, db, settings) -> None:
    """Apps build `scope=read+write+follow` by hand; `+` is a space in a query."""
    anna = await signed_in_member(db, settings)
    app = await register(client, scopes="read write follow")
    browse_as(client, anna)
    query = urlencode({"response_type": "code", "client_id": app["client_id"],
                       "redirect_uri": CALLBACK, "scope": "read write follow"})  # fmt: skip
    assert "scope=read+write+follow" in query
    page = await client.get(f"/oauth/authorize?{query}")
    assert page.status_code == 200, page.text
    assert hidden_fields(page.text)["scope"] == "read write follow"


async def test_a_multipart_token_request_as_masto_sends_it(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    verifier, challenge = pkce_pair()
    code = await authorization_code(
        client, anna, app, scope="read", code_challenge=challenge, code_challenge_method="S256"
    )
    browse_as(client, None)
    fields = {"grant_type": "authorization_code", "client_id": app["client_id"],
              "client_secret": app["client_secret"], "redirect_uri": CALLBACK, "code": code,
              "code_verifier": verifier, "scope": "read"}  # fmt: skip
    multipart = {name: (None, value) for name, value in fields.items()}
    answer = await client.post("/oauth/token", files=multipart)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "read"


async def test_the_scope_sent_with_a_code_cannot_widen_the_grant(client, db, settings) -> None:
    """Apps send `scope` again with the code (Mastodon's docs ask for it): the code decides."""
    anna = await signed_in_member(db, settings)
    app = await register(client, scopes="read write")
    code = await authorization_code(client, anna, app, scope="read")
    browse_as(client, None)
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "client_id": app["client_id"],
              "client_secret": app["client_secret"], "redirect_uri": CALLBACK, "code": code,
              "scope": "read write"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "read"


async def test_token_errors_are_oauths_shape(client) -> None:
    app = await register(client)
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "client_id": app["client_id"],
              "client_secret": app["client_secret"], "redirect_uri": CALLBACK,
              "code": "made-up"},
    )  # fmt: skip
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_grant" and isinstance(body["error_description"], str)
    unknown = await client.post(
        "/oauth/token", data={"grant_type": "password", "client_id": app["client_id"],
                              "client_secret": app["client_secret"]},
    )  # fmt: skip
    assert (unknown.status_code, unknown.json()["error"]) == (400, "unsupported_grant_type")


async def test_registration_takes_json_lists_and_the_out_of_band_uri(client) -> None:
    answer = await client.post(
        "/api/v1/apps",
        json={"client_name": "Elk", "redirect_uris": [OOB, "https://elk.example/callback"],
              "scopes": "read write follow push"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    app = answer.json()
    assert app["redirect_uris"] == [OOB, "https://elk.example/callback"]
    assert app["redirect_uri"] == f"{OOB}\nhttps://elk.example/callback"
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert answer.headers["access-control-allow-origin"] == "*"
    multipart = await client.post(
        "/api/v1/apps",
        files={"client_name": (None, "toot"), "redirect_uris": (None, OOB),
               "scopes": (None, "read")},
    )  # fmt: skip
    assert multipart.status_code == 200, multipart.text
    assert multipart.json()["redirect_uris"] == [OOB]


async def test_verify_credentials_is_the_application_entity(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, website="https://tusky.app")
    token = await granted_tokens(client, anna, app)
    seen = await client.get("/api/v1/apps/verify_credentials",
                            headers=bearer(token["access_token"]))  # fmt: skip
    assert seen.status_code == 200
    assert seen.json() == {
        "id": app["id"], "name": "Tusky", "website": "https://tusky.app",
        "scopes": ["read", "write"], "redirect_uri": CALLBACK, "redirect_uris": [CALLBACK],
    }  # fmt: skip


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer unknown"}, {"Authorization": "Bearer"}]
)
async def test_verify_credentials_without_a_valid_token_is_401_in_mastodons_words(
    client, headers
) -> None:
    answer = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert (answer.status_code, answer.json()) == (401, INVALID)
    assert "invalid_token" in answer.headers["www-authenticate"]


async def test_after_revocation_the_token_is_invalid_in_mastodons_words(
    client, db, settings
) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    token = await granted_tokens(client, anna, app)
    revoked = await client.post(
        "/oauth/revoke", data={"client_id": app["client_id"],
                               "client_secret": app["client_secret"],
                               "token": token["access_token"]},
    )  # fmt: skip
    assert (revoked.status_code, revoked.json()) == (200, {})
    for path in ("/api/v1/apps/verify_credentials", "/api/v1/preferences"):
        answer = await client.get(path, headers=bearer(token["access_token"]))
        assert (answer.status_code, answer.json()) == (401, INVALID), path
    async with db.session() as s:
        assert await s.scalar(select(ApiToken).where(ApiToken.client_id == int(app["id"]))) is None


@pytest.mark.parametrize(
    "path",
    ["/api/v1/apps", "/oauth/token", "/oauth/revoke", "/api/v1/instance", "/api/v2/instance/",
     "/api/v1/markers"],
)  # fmt: skip
async def test_browser_apps_get_their_preflight_answered(client, path) -> None:
    answer = await client.options(
        path,
        headers={"Origin": "https://elk.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert answer.headers["access-control-allow-headers"] == "authorization, content-type"
    assert "access-control-allow-credentials" not in answer.headers


async def test_answers_are_readable_by_other_origins_with_their_link_headers(client) -> None:
    answer = await client.get("/api/v1/instance/peers", headers={"Origin": "https://elk.example"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Link" in answer.headers["access-control-expose-headers"]
    refused = await client.get("/api/v1/preferences", headers={"Origin": "https://elk.example"})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"  # the app can read why


async def test_the_consent_page_and_native_api_stay_closed_to_other_origins(
    client, db, settings
) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    page = await consent_page(client, anna, client_id=app["client_id"])
    assert page.status_code == 200
    assert "access-control-allow-origin" not in page.headers
    preflight = await client.options(
        "/oauth/authorize",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    native = await client.options(
        "/api/smart/v1/members",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in native.headers


async def test_a_preflight_asking_odd_headers_gets_none_echoed(client) -> None:
    answer = await client.options(
        "/api/v1/apps",
        headers={"Origin": "https://elk.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-a\r\nSet-Cookie: y"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert "access-control-allow-headers" not in answer.headers
