"""The attacks on an authorization server: open redirect through redirect_uri, PKCE missing or
downgraded, a wrong verifier, code replay (refused AND its tokens revoked), expired codes,
consent without CSRF, scope escalation, and tokens leaking into URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from smartnode.accounts.oauth_codes import (
    check_authorization_request,
    forget_old_codes,
    issue_code,
)
from smartnode.storage.models_accounts import Account, OAuthCode
from tests.accounts.test_oauth_support import (
    CALLBACK,
    Member,
    authorization_code,
    bearer,
    browse_as,
    consent_page,
    decide,
    exchange,
    hidden_fields,
    pkce_pair,
    query_of,
    register,
    signed_in_member,
)

EVIL = "https://evil.example/steal"


async def code_issued_at(db, app: dict, member: Member, when: datetime) -> str:
    """Arrange: a code the member granted the app at `when`, through the domain functions."""
    async with db.session() as s, s.begin():
        request = await check_authorization_request(
            s, response_type="code", client_id=app["client_id"], redirect_uri=CALLBACK,
            scope="read", state=None, code_challenge=None, code_challenge_method=None,
        )  # fmt: skip
        account = await s.get(Account, member.account_id)
        assert account is not None
        return await issue_code(s, request, account, when)


async def count_codes(db) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(OAuthCode)) or 0)


@pytest.mark.parametrize(
    "redirect_uri",
    [EVIL, CALLBACK + "/../steal", CALLBACK + "?x=1", "HTTPS://app.example/callback"],
)
async def test_an_unregistered_redirect_uri_gets_a_page_never_a_redirect(
    client, db, settings, redirect_uri
) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    page = await consent_page(client, anna, client_id=app["client_id"], redirect_uri=redirect_uri)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "did not register" in page.text
    browse_as(client, None)  # not signed in: still no redirect anywhere, not even to sign-in
    anonymous = await client.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": app["client_id"],
                "redirect_uri": redirect_uri},
    )  # fmt: skip
    assert anonymous.status_code == 400 and "location" not in anonymous.headers


async def test_an_unknown_app_gets_a_page(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    page = await consent_page(client, anna, client_id="nobody", redirect_uri=EVIL)
    assert page.status_code == 400 and "location" not in page.headers
    assert "not registered on this node" in page.text


async def test_a_tampered_consent_form_cannot_redirect_elsewhere(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    page = await consent_page(client, anna, client_id=app["client_id"])
    form = {**hidden_fields(page.text), "decision": "allow", "redirect_uri": EVIL}
    answer = await client.post("/oauth/authorize", data=form)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert await count_codes(db) == 0


async def test_pkce_is_required_of_an_app_without_a_secret(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, token_endpoint_auth_method="none")
    page = await consent_page(client, anna, client_id=app["client_id"], state="s")
    assert page.status_code == 303  # back to the registered URI, with the error
    query = query_of(page.headers["location"])
    assert page.headers["location"].startswith(CALLBACK + "?")
    assert query["error"] == "invalid_request" and "PKCE" in query["error_description"]
    assert query["state"] == "s" and "code" not in query


@pytest.mark.parametrize("method", ["plain", None])
async def test_plain_or_an_unnamed_method_is_refused(client, db, settings, method) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, token_endpoint_auth_method="none")
    verifier, _ = pkce_pair()
    params = {"client_id": app["client_id"], "code_challenge": verifier}
    if method:
        params["code_challenge_method"] = method
    page = await consent_page(client, anna, **params)
    assert page.status_code == 303
    query = query_of(page.headers["location"])
    assert query["error"] == "invalid_request" and "S256" in query["error_description"]


async def test_a_wrong_verifier_is_refused(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, token_endpoint_auth_method="none")
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = await authorization_code(
        client, anna, app, code_challenge=challenge, code_challenge_method="S256"
    )
    browse_as(client, None)
    answer = await exchange(
        client, code=code, client_id=app["client_id"], redirect_uri=CALLBACK,
        code_verifier=other_verifier,
    )  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    missing = await exchange(client, code=code, client_id=app["client_id"], redirect_uri=CALLBACK)
    assert missing.json()["error"] == "invalid_grant"  # and the code was spent by the first try


async def test_a_verifier_without_a_challenge_is_a_downgrade(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    code = await authorization_code(client, anna, app)
    verifier, _ = pkce_pair()
    browse_as(client, None)
    answer = await exchange(
        client, code=code, client_id=app["client_id"], client_secret=app["client_secret"],
        redirect_uri=CALLBACK, code_verifier=verifier,
    )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


async def test_a_replayed_code_is_refused_and_revokes_its_tokens(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    code = await authorization_code(client, anna, app)
    browse_as(client, None)
    form = {"code": code, "client_id": app["client_id"], "client_secret": app["client_secret"],
            "redirect_uri": CALLBACK}  # fmt: skip
    first = await exchange(client, **form)
    assert first.status_code == 200
    token = first.json()["access_token"]
    assert (await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))).is_success
    replay = await exchange(client, **form)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    after = await client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    assert after.status_code == 401
    refresh = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"],
              "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )  # fmt: skip
    assert refresh.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_refused(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    code = await code_issued_at(db, app, anna, datetime.now(UTC) - timedelta(minutes=11))
    answer = await exchange(
        client, code=code, client_id=app["client_id"], client_secret=app["client_secret"],
        redirect_uri=CALLBACK,
    )  # fmt: skip
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "this code has expired"}


async def test_a_code_is_bound_to_its_app_and_redirect_uri(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, redirect_uris=f"{CALLBACK}\n{CALLBACK}2")
    other = await register(client, client_name="Other")
    code = await authorization_code(client, anna, app)
    browse_as(client, None)
    stolen = await exchange(
        client, code=code, client_id=other["client_id"], client_secret=other["client_secret"],
        redirect_uri=CALLBACK,
    )  # fmt: skip
    assert stolen.json()["error"] == "invalid_grant"
    code = await authorization_code(client, anna, app)
    browse_as(client, None)
    moved = await exchange(
        client, code=code, client_id=app["client_id"], client_secret=app["client_secret"],
        redirect_uri=f"{CALLBACK}2",
    )  # fmt: skip
    assert moved.json()["error"] == "invalid_grant"


async def test_consent_without_csrf_is_refused(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    page = await consent_page(client, anna, client_id=app["client_id"])
    form = {**hidden_fields(page.text), "decision": "allow"}
    del form["csrf"]
    answer = await client.post("/oauth/authorize", data=form)
    assert answer.status_code == 403 and "location" not in answer.headers
    forged = {**hidden_fields(page.text), "decision": "allow"}
    cross_site = await client.post(
        "/oauth/authorize", data=forged, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert await count_codes(db) == 0


async def test_scope_escalation_is_refused(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, scopes="read")
    page = await consent_page(client, anna, client_id=app["client_id"], scope="read write")
    assert page.status_code == 303
    assert query_of(page.headers["location"])["error"] == "invalid_scope"
    unknown = await consent_page(client, anna, client_id=app["client_id"], scope="admin:read")
    assert query_of(unknown.headers["location"])["error"] == "invalid_scope"
    code = await authorization_code(client, anna, app, scope="read:statuses")
    browse_as(client, None)
    credentials = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    token = await exchange(client, code=code, redirect_uri=CALLBACK, **credentials)
    assert token.json()["scope"] == "read:statuses"
    wider = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token.json()["refresh_token"],
              "scope": "read", **credentials},
    )  # fmt: skip
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


async def test_no_token_ever_travels_in_a_url(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    answer = await decide(client, anna, client_id=app["client_id"], state="s")
    location = answer.headers["location"]
    assert set(query_of(location)) == {"code", "state"}
    browse_as(client, None)
    token = await exchange(
        client, code=query_of(location)["code"], client_id=app["client_id"],
        client_secret=app["client_secret"], redirect_uri=CALLBACK,
    )  # fmt: skip
    secrets = (token.json()["access_token"], token.json()["refresh_token"])
    assert "location" not in token.headers
    assert not any(secret in location for secret in secrets)
    assert token.headers["cache-control"] == "no-store"
    in_query = await client.get(
        "/api/v1/apps/verify_credentials", params={"access_token": secrets[0]}
    )
    assert in_query.status_code == 401  # a token in a URL is not taken


async def test_a_token_request_with_secrets_in_two_places_is_refused(client) -> None:
    app = await register(client)
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": app["client_secret"]},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    basic = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
    )  # fmt: skip
    assert basic.status_code == 200
    unsupported = await client.post(
        "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(app["client_id"], app["client_secret"]),
    )  # fmt: skip
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_an_apps_name_cannot_inject_html_into_the_consent_page(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client, client_name='<script>alert("x")</script>')
    page = await consent_page(client, anna, client_id=app["client_id"])
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_old_codes_are_forgotten_a_day_after_they_expire(client, db, settings) -> None:
    anna = await signed_in_member(db, settings)
    app = await register(client)
    now = datetime.now(UTC)
    for age in (timedelta(days=2), timedelta(hours=1), timedelta(0)):
        await code_issued_at(db, app, anna, now - age)
    async with db.session() as s, s.begin():
        assert await forget_old_codes(s, now) == 1
    assert await count_codes(db) == 2
