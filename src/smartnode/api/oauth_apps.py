"""Mastodon's app registration (POST /api/v1/apps, GET /api/v1/apps/verify_credentials) and the
authorization server's metadata (RFC 8414) with the fields Mastodon 4.3 serves.

Interop: the Application entity of Mastodon 4.3 (`id` as a string, `scopes` and
`redirect_uris` as lists, the deprecated `redirect_uri` joined by newlines); registration
answers the CredentialApplication (plus `client_id`, `client_secret`,
`client_secret_expires_at` 0).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.oauth_clients import register_client, registration_from
from smartnode.accounts.oauth_grants import registered_app
from smartnode.accounts.principal import KNOWN_SCOPES
from smartnode.api.deps import SessionDep, SettingsDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, any_token
from smartnode.api.oauth_body import CORS, NO_STORE, body_params
from smartnode.federation.signer import utc_now
from smartnode.storage.models_accounts import OAuthClient

router = APIRouter(include_in_schema=False)
#: Routes that answer errors in Mastodon's words (api/mastodon/auth.py).
verified = APIRouter(include_in_schema=False, route_class=MastodonRoute)


def application_entity(client: OAuthClient) -> dict[str, Any]:
    """Mastodon's Application entity."""
    return {
        "id": str(client.id),
        "name": client.name,
        "website": client.website,
        "scopes": client.scopes.split(),
        "redirect_uri": "\n".join(client.redirect_uris),
        "redirect_uris": list(client.redirect_uris),
    }


@router.post("/api/v1/apps")
async def create_app(request: Request, session: SessionDep) -> JSONResponse:
    """Register an app (JSON or form body); 422 naming the field when something is wrong."""
    params = await body_params(request)
    registration = registration_from(
        client_name=params.get("client_name"),
        redirect_uris=params.get("redirect_uris"),
        scopes=params.get("scopes"),
        website=params.get("website"),
        token_endpoint_auth_method=params.get("token_endpoint_auth_method"),
    )
    async with session.begin():
        registered = await register_client(session, registration, utc_now())
    entity = application_entity(registered.client)
    entity["client_id"] = registered.client.client_id
    if registered.secret is not None:
        entity["client_secret"] = registered.secret
    entity["client_secret_expires_at"] = 0
    return JSONResponse(entity, headers={**NO_STORE, **CORS})


@verified.get("/api/v1/apps/verify_credentials")
async def verify_app(principal: Caller, session: SessionDep) -> JSONResponse:
    """The app a token (the app's own, or one a member granted) was issued to; Mastodon's 401
    without a valid token."""
    any_token(principal)
    async with session.begin():
        client = await registered_app(session, principal)
    return JSONResponse(application_entity(client), headers=CORS)


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 metadata, the fields Mastodon 4.3 serves (`none` added: apps without a
    secret, PKCE required)."""
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": f"{base_url}/",
        "authorization_endpoint": f"{base_url}/oauth/authorize",
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "scopes_supported": sorted(KNOWN_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "app_registration_endpoint": f"{base_url}/api/v1/apps",
    }


@router.get("/.well-known/oauth-authorization-server")
async def metadata(settings: SettingsDep) -> JSONResponse:
    """Where apps find the endpoints, scopes and methods (RFC 8414)."""
    return JSONResponse(authorization_server_metadata(settings.base_url), headers=CORS)


router.include_router(verified)
