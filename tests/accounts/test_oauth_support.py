"""What the OAuth tests share (no tests here): a signed-in member, app registration, PKCE,
and the consent form driven as a browser would."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from smartnode.accounts.accounts import ACTIVE, ensure_account, set_state
from smartnode.accounts.sessions import start_session
from smartnode.api.v1.auth import MaybePrincipalDep
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.web.forms import session_cookie_name
from tests.conftest import make_member

CALLBACK = "https://app.example/callback"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class Member:
    """A signed-in member: their actor, account id and session cookie."""

    actor: Actor
    account_id: int
    cookies: dict[str, str]


async def signed_in_member(db: Database, settings: Settings, username: str = "anna") -> Member:
    """Arrange: an active member with a full browser session."""
    actor = await make_member(db, settings, username)
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        account = await ensure_account(s, actor, now, email=f"{username}@example.org")
        await set_state(s, account, ACTIVE, now)
        started = await start_session(s, settings, account, now, method="passkey")
    return Member(actor, account.id, {session_cookie_name(settings): started.token})


async def register(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """Register an app through POST /api/v1/apps (JSON); its CredentialApplication."""
    body = {"client_name": "Tusky", "redirect_uris": CALLBACK, "scopes": "read write", **fields}
    response = await client.post("/api/v1/apps", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge, computed here independently of the server."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of the consent form (CSRF token included)."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect's Location."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def browse_as(client: httpx.AsyncClient, member: Member | None) -> None:
    """The client's browser now holds this member's session cookie (None: signed out)."""
    client.cookies.clear()
    for name, value in (member.cookies if member else {}).items():
        client.cookies.set(name, value)


async def consent_page(client: httpx.AsyncClient, member: Member, **params: str) -> httpx.Response:
    """GET /oauth/authorize as the signed-in member."""
    browse_as(client, member)
    query = {"response_type": "code", "redirect_uri": CALLBACK, **params}
    return await client.get("/oauth/authorize", params=query)


async def decide(
    client: httpx.AsyncClient, member: Member, decision: str = "allow", **params: str
) -> httpx.Response:
    """Open the consent page, then press Allow or Deny; the answer (a redirect, or a page)."""
    page = await consent_page(client, member, **params)
    assert page.status_code == 200, page.text
    form = {**hidden_fields(page.text), "decision": decision}
    return await client.post("/oauth/authorize", data=form)  # the CSRF cookie is in the jar


async def authorization_code(
    client: httpx.AsyncClient, member: Member, app: dict[str, Any], **params: str
) -> str:
    """The code the app receives after the member allows it (state echoed back)."""
    answer = await decide(client, member, client_id=app["client_id"], state="xyz", **params)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    query = query_of(location)
    assert query["state"] == "xyz"
    return query["code"]


async def exchange(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    """POST /oauth/token with a form body."""
    return await client.post("/oauth/token", data={"grant_type": "authorization_code", **form})


async def granted_tokens(
    client: httpx.AsyncClient, member: Member, app: dict[str, Any], scope: str = "read"
) -> dict[str, Any]:
    """Arrange: the member allows a confidential app; the token endpoint's answer."""
    code = await authorization_code(client, member, app, scope=scope)
    browse_as(client, None)  # the app, not the browser, calls the token endpoint
    answer = await exchange(
        client, code=code, redirect_uri=CALLBACK, client_id=app["client_id"],
        client_secret=app["client_secret"],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_whoami_route(app: FastAPI) -> None:
    """A probe route that answers the principal api/v1/auth makes of a request's token."""

    async def whoami(principal: MaybePrincipalDep) -> dict[str, Any]:
        return {
            "kind": principal.kind,
            "actor_id": principal.actor_id,
            "client_id": principal.client_id,
            "scopes": sorted(principal.scopes),
            "is_admin": principal.is_admin,
        }

    app.add_api_route("/test/whoami", whoami, methods=["GET"])
