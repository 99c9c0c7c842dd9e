"""The authorization code flow end to end, as a Mastodon app and a member's browser run it:
with PKCE for an app without a secret, without PKCE for one with a secret; refresh with
rotation; revocation; the token used on the API as the member, within the granted scopes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from smartnode.storage.models_accounts import ApiToken
from tests.accounts.test_oauth_support import (
    CALLBACK,
    add_whoami_route,
    authorization_code,
    bearer,
    browse_as,
    consent_page,
    decide,
    exchange,
    granted_tokens,
    hidden_fields,
    pkce_pair,
    query_of,
    register,
    signed_in_member,
)

OOB = "urn:ietf:wg:oauth:2.0:oob"


async def test_not_signed_in_goes_to_sign_in_and_comes_back(client) -> None:
    app = await register(client)
    browse_as(client, None)
    response = await client.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": app["client_id"],
                "redirect_uri": CALLBACK, "scope": "read", "state": "s1"},
    )  # fmt: skip
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/signin?")
    back = parse_qs(urlsplit(location).query)["next"][0]
    assert back.startswith("/oauth/authorize?")
    assert query_of(back) == {
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": CALLBACK,
        "scope": "read", "state": "s1",
    }  # fmt: skip


async def test_public_app_with_pkce_end_to_end(app, client, db, settings) -> None:
    add_whoami_route(app)
    anna = await signed_in_member(db, settings)
    registered = await register(client, token_endpoint_auth_method="none", scopes="read write")
    verifier, challenge = pkce_pair()
    page = await consent_page(
        client, anna, client_id=registered["client_id"], scope="read write:statuses",
        code_challenge=challenge, code_challenge_method="S256",
    )  # fmt: skip
    assert page.status_code == 200
    assert "Tusky" in page.text and "Allow" in page.text and "Deny" in page.text
    assert "Publish, edit and delete posts." in page.text  # write:statuses in plain words
    assert page.headers["x-frame-options"] == "DENY"
    assert hidden_fields(page.text)["csrf"]
    code = await authorization_code(
        client, anna, registered, scope="read write:statuses", code_challenge=challenge,
        code_challenge_method="S256",
    )  # fmt: skip
    browse_as(client, None)  # the app, not the browser, calls the token endpoint
    answer = await exchange(
        client, code=code, client_id=registered["client_id"], redirect_uri=CALLBACK,
        code_verifier=verifier,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read write:statuses"
    assert isinstance(token["created_at"], int) and token["refresh_token"]
    who = (await client.get("/test/whoami", headers=bearer(token["access_token"]))).json()
    assert who == {
        "kind": "app", "actor_id": anna.actor.id, "client_id": int(registered["id"]),
        "scopes": ["read", "write:statuses"], "is_admin": False,
    }  # fmt: skip
    verified = await client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(token["access_token"])
    )
    assert verified.status_code == 200 and verified.json()["name"] == "Tusky"


async def test_confidential_app_without_pkce_and_http_basic(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    registered = await register(client)
    code = await authorization_code(client, anna, registered, scope="read write")
    basic = base64.b64encode(
        f"{registered['client_id']}:{registered['client_secret']}".encode()
    ).decode()
    browse_as(client, None)
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200, answer.text
    async with db.session() as s:
        row = await s.scalar(select(ApiToken))
    assert row is not None
    assert (row.scope, row.actor_id, row.client_id, row.scopes, row.expires_at) == (
        "app",
        anna.actor.id,
        int(registered["id"]),
        "read write",
        None,
    )


async def test_client_secret_post_and_a_json_body_work_too(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    registered = await register(client)
    code = await authorization_code(client, anna, registered)
    browse_as(client, None)
    answer = await client.post(
        "/oauth/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
              "client_id": registered["client_id"],
              "client_secret": registered["client_secret"]},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "read"  # nothing asked: Mastodon's default


async def tokens_for(client, db, settings) -> tuple[dict, dict]:
    anna = await signed_in_member(db, settings)
    registered = await register(client)
    return registered, await granted_tokens(client, anna, registered, "read write")


async def test_refresh_rotates_both_tokens(client, db, settings) -> None:
    registered, first = await tokens_for(client, db, settings)
    credentials = {"client_id": registered["client_id"],
                   "client_secret": registered["client_secret"]}  # fmt: skip
    refreshed = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
              "scope": "read", **credentials},
    )  # fmt: skip
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["scope"] == "read"  # a refresh may narrow the grant
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    old = await client.get("/api/v1/apps/verify_credentials", headers=bearer(first["access_token"]))
    assert old.status_code == 401
    new = await client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(second["access_token"])
    )
    assert new.status_code == 200
    again = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
              **credentials},
    )  # fmt: skip
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_revocation_ends_the_token_and_ignores_unknown_ones(client, db, settings) -> None:
    registered, tokens = await tokens_for(client, db, settings)
    credentials = {"client_id": registered["client_id"],
                   "client_secret": registered["client_secret"]}  # fmt: skip
    unknown = await client.post("/oauth/revoke", data={"token": "not-a-token", **credentials})
    assert unknown.status_code == 200
    wrong = await client.post(
        "/oauth/revoke",
        data={"token": tokens["access_token"], "client_id": registered["client_id"],
              "client_secret": "wrong"},
    )  # fmt: skip
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    still = await client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(tokens["access_token"])
    )
    assert still.status_code == 200
    revoked = await client.post(
        "/oauth/revoke", data={"token": tokens["access_token"], **credentials}
    )
    assert revoked.status_code == 200 and revoked.json() == {}
    gone = await client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(tokens["access_token"])
    )
    assert gone.status_code == 401
    refresh = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
              **credentials},
    )  # fmt: skip
    assert refresh.json()["error"] == "invalid_grant"  # the whole grant went


async def test_another_app_cannot_revoke_a_token(client, db, settings) -> None:
    _, tokens = await tokens_for(client, db, settings)
    other = await register(client, client_name="Other")
    answer = await client.post(
        "/oauth/revoke",
        data={"token": tokens["access_token"], "client_id": other["client_id"],
              "client_secret": other["client_secret"]},
    )  # fmt: skip
    assert answer.status_code == 200  # no oracle, and nothing revoked
    still = await client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(tokens["access_token"])
    )
    assert still.status_code == 200


async def test_deny_sends_access_denied_with_state(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    registered = await register(client)
    answer = await decide(client, anna, "deny", client_id=registered["client_id"], state="st")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    assert query_of(location) == {"error": "access_denied", "state": "st"}


async def test_out_of_band_shows_the_code_on_a_page(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    registered = await register(client, redirect_uris=OOB)
    answer = await decide(client, anna, client_id=registered["client_id"], redirect_uri=OOB)
    assert answer.status_code == 200
    assert "location" not in answer.headers
    code = hidden_code(answer.text)
    browse_as(client, None)
    token = await exchange(
        client, code=code, redirect_uri=OOB, client_id=registered["client_id"],
        client_secret=registered["client_secret"],
    )  # fmt: skip
    assert token.status_code == 200, token.text


def hidden_code(page: str) -> str:
    marker = 'id="oauth-code" type="text" readonly value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


async def test_consent_page_speaks_the_apps_lang(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    registered = await register(client)
    page = await consent_page(client, anna, client_id=registered["client_id"], lang="fr")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Autoriser" in page.text
