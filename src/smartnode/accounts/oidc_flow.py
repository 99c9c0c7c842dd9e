"""Signing in through the cooperative's OpenID provider: the authorization code flow with
PKCE (S256), state and nonce, then the code exchanged for tokens, the ID token checked and the
person's address read (from the ID token, else from the userinfo endpoint).

No database here: `finish_sign_in` makes every network call and returns who the provider
vouches for; oidc_link.py then decides, in a short transaction, which member that is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from smartnode.accounts.accounts import normal_email
from smartnode.accounts.oidc_discovery import OidcProvider, ProviderMetadata
from smartnode.accounts.oidc_errors import OidcRefused
from smartnode.accounts.oidc_state import FlowState, new_flow, state_matches
from smartnode.accounts.oidc_tokens import verify_id_token
from smartnode.config import Settings
from smartnode.errors import ValidationFailed

SCOPE = "openid email profile"
CALLBACK_PATH = "/signin/provider/callback"


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """Who the provider vouches for: its subject and what it says about them."""

    issuer: str
    subject: str
    email: str | None  # normalised; None when absent or not an address
    email_verified: bool
    preferred_username: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class SignInStart:
    """Where to send the browser, and the flow to keep until it comes back."""

    url: str
    flow: FlowState


def callback_url(settings: Settings) -> str:
    """The redirect URI registered at the provider for this node."""
    return settings.base_url + CALLBACK_PATH


async def begin_sign_in(
    provider: OidcProvider, next_url: str, now: datetime, *, language: str
) -> SignInStart:
    """A new flow and the provider's authorization URL for it (pages in `language`)."""
    if not provider.settings.oidc_issuer:
        raise OidcRefused("off")
    metadata = await provider.metadata()
    flow = new_flow(next_url, now)
    query = urlencode({
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": callback_url(provider.settings),
        "scope": SCOPE,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": flow.challenge,
        "code_challenge_method": "S256",
        "ui_locales": language,
    })  # fmt: skip
    endpoint = metadata.authorization_endpoint
    return SignInStart(url=f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", flow=flow)


async def finish_sign_in(
    provider: OidcProvider, flow: FlowState | None, params: Mapping[str, str], now: datetime
) -> ProviderIdentity:
    """Who the provider's answer (the callback's query) vouches for, or OidcRefused."""
    if not provider.settings.oidc_issuer:
        raise OidcRefused("off")
    error = params.get("error")
    if error:
        named = error if re.fullmatch(r"[a-z_]{1,40}", error) else "unnamed error"
        raise OidcRefused("denied" if error == "access_denied" else "provider", named)
    if flow is None or not state_matches(flow, params.get("state")):
        raise OidcRefused("state", "no sign-in started here has this state")
    metadata = await provider.metadata()
    if "iss" in params and params["iss"] != metadata.issuer:  # RFC 9207: no mix-up
        raise OidcRefused("token", "the answer names another issuer")
    code = params.get("code")
    if not code:
        raise OidcRefused("token", "the answer has no code")
    tokens = await _exchange(provider, metadata, code, flow)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise OidcRefused("token", "the token answer has no ID token")
    claims = verify_id_token(
        id_token, await provider.keys_for(id_token), issuer=metadata.issuer,
        client_id=provider.client_id, nonce=flow.nonce, now=now,
    )  # fmt: skip
    if "email" not in claims:
        claims = {**await _userinfo(provider, metadata, tokens, claims["sub"]), **claims}
    return _identity(metadata.issuer, claims)


async def _exchange(
    provider: OidcProvider, metadata: ProviderMetadata, code: str, flow: FlowState
) -> dict[str, Any]:
    """The token endpoint's answer for the code (client_secret_basic, or _post)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(provider.settings),
        "code_verifier": flow.verifier,
    }
    auth: httpx.Auth | None = None
    if metadata.client_auth == "client_secret_post":
        form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    else:  # RFC 6749 §2.3.1: both parts form-encoded before Basic
        auth = httpx.BasicAuth(quote(provider.client_id, safe=""),
                               quote(provider.client_secret, safe=""))  # fmt: skip
    return await provider.fetch(metadata.token_endpoint, refused_as="token", form=form, auth=auth)


async def _userinfo(
    provider: OidcProvider, metadata: ProviderMetadata, tokens: dict[str, Any], subject: str
) -> dict[str, Any]:
    """The userinfo claims (OpenID Connect Core §5.3), which must be about the same subject."""
    access_token = tokens.get("access_token")
    if metadata.userinfo_endpoint is None or not isinstance(access_token, str):
        return {}
    claims = await provider.fetch(
        metadata.userinfo_endpoint, refused_as="token",
        headers={"Authorization": f"Bearer {access_token}"},
    )  # fmt: skip
    if claims.get("sub") != subject:
        raise OidcRefused("token", "userinfo is about another subject")
    return claims


def _identity(issuer: str, claims: dict[str, Any]) -> ProviderIdentity:
    try:
        email = normal_email(claims["email"]) if isinstance(claims.get("email"), str) else None
    except ValidationFailed:
        email = None
    verified = claims.get("email_verified")  # some providers send the string "true"
    return ProviderIdentity(
        issuer=issuer,
        subject=claims["sub"],
        email=email,
        email_verified=email is not None and (verified is True or verified == "true"),
        preferred_username=_text(claims.get("preferred_username")),
        name=_text(claims.get("name")),
    )


def _text(value: Any) -> str | None:
    return value.strip()[:100] or None if isinstance(value, str) else None
