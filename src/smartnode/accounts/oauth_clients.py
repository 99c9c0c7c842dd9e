"""OAuth 2 apps: registration (Mastodon's POST /api/v1/apps), redirect URI rules, scopes an app
may ask for, and client authentication at the token endpoint.

Interop: Mastodon registers every app with a secret (a confidential client) and so do we; an app
that cannot keep a secret registers with `token_endpoint_auth_method=none` (RFC 7591) and must
then use PKCE. Only SHA-256 digests of client secrets are stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.oauth_errors import INVALID_CLIENT, INVALID_SCOPE, OAuthError
from smartnode.accounts.principal import UnknownScope, covers, parse_scopes
from smartnode.accounts.secrets import digest, new_secret, same
from smartnode.errors import ValidationFailed
from smartnode.storage.models_accounts import OAuthClient

#: Mastodon's "out of band" redirect: the code is shown on a page instead of redirected.
OOB = "urn:ietf:wg:oauth:2.0:oob"
MAX_NAME = 60  # Mastodon's limit
MAX_URI = 2000
MAX_REDIRECT_URIS = 10
DEFAULT_SCOPE = "read"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*$")
#: Schemes a browser would run or read locally instead of handing to an app.
FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob", "urn"})
PUBLIC_METHOD = "none"
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


@dataclass(frozen=True, slots=True)
class Registration:
    """A checked app registration."""

    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    website: str | None
    confidential: bool


@dataclass(frozen=True, slots=True)
class Registered:
    """A new app and its secret (None for a public client), shown once."""

    client: OAuthClient
    secret: str | None


def ordered_scopes(text: str | None, *, default: str = DEFAULT_SCOPE) -> tuple[str, ...]:
    """Scopes of a space-separated string in their given order, once each; unknown refused."""
    parse_scopes(text, default=default)  # raises UnknownScope
    names = (text or "").split() or default.split()
    return tuple(dict.fromkeys(names))


def check_redirect_uri(uri: str) -> str:
    """`uri` when it is a redirect URI an app may register, else ValidationFailed saying why."""
    if uri == OOB:
        return uri
    if len(uri) > MAX_URI or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in uri):
        raise ValidationFailed(f"redirect_uris: {uri[:100]!r} is not a URI")
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
    except ValueError as exc:
        raise ValidationFailed(f"redirect_uris: {uri!r} is not a URI") from exc
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme):
        raise ValidationFailed(f"redirect_uris: {uri!r} must be an absolute URI")
    if "#" in uri:
        raise ValidationFailed(f"redirect_uris: {uri!r} must not have a fragment")
    if scheme in FORBIDDEN_SCHEMES:
        raise ValidationFailed(f"redirect_uris: the {scheme!r} scheme is not allowed")
    if scheme in ("http", "https"):
        if not hostname:
            raise ValidationFailed(f"redirect_uris: {uri!r} has no host")
        if parts.username is not None or parts.password is not None:
            raise ValidationFailed(f"redirect_uris: {uri!r} must not carry a user or password")
    elif not (parts.netloc or parts.path):
        raise ValidationFailed(f"redirect_uris: {uri!r} names no place in the app")
    return uri


def _text(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValidationFailed(f"{name}: must be a string")


def _redirect_uris(value: object) -> tuple[str, ...]:
    """Mastodon takes one string with a URI a line, or a list of strings."""
    if isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [line for item in value for line in item.splitlines()]
    else:
        raise ValidationFailed("redirect_uris: is required (a string or a list of strings)")
    uris = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    if not uris:
        raise ValidationFailed("redirect_uris: is required")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationFailed(f"redirect_uris: at most {MAX_REDIRECT_URIS} may be registered")
    return tuple(check_redirect_uri(uri) for uri in uris)


def _website(value: object) -> str | None:
    website = (_text("website", value) or "").strip()
    if not website:
        return None
    try:
        parts = urlsplit(website)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable or len(website) > MAX_URI:
        raise ValidationFailed("website: must be an http(s) URL")
    return website


def _scopes_param(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return " ".join(value)
    return _text("scopes", value)


def registration_from(
    *,
    client_name: object,
    redirect_uris: object,
    scopes: object = None,
    website: object = None,
    token_endpoint_auth_method: object = None,
) -> Registration:
    """Check what an app sent to register (JSON or form values); ValidationFailed names the
    field and what is wrong."""
    name = " ".join((_text("client_name", client_name) or "").split())
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(f"client_name: is required, at most {MAX_NAME} characters")
    method = _text("token_endpoint_auth_method", token_endpoint_auth_method)
    if method is not None and method != PUBLIC_METHOD and method not in SECRET_METHODS:
        raise ValidationFailed(
            "token_endpoint_auth_method: must be client_secret_basic, client_secret_post or none"
        )
    try:
        scope_names = ordered_scopes(_scopes_param(scopes))
    except UnknownScope as exc:
        raise ValidationFailed(f"scopes: unknown scope {' '.join(exc.names)}") from exc
    return Registration(
        name=name,
        redirect_uris=_redirect_uris(redirect_uris),
        scopes=scope_names,
        website=_website(website),
        confidential=method != PUBLIC_METHOD,
    )


async def register_client(
    session: AsyncSession, registration: Registration, now: datetime
) -> Registered:
    """A new app with a random client id (and secret, for a confidential client)."""
    secret = new_secret() if registration.confidential else None
    client = OAuthClient(
        client_id=new_secret(),
        secret_hash=digest(secret) if secret is not None else None,
        name=registration.name,
        website=registration.website,
        redirect_uris=list(registration.redirect_uris),
        scopes=" ".join(registration.scopes),
        created_at=now,
    )
    session.add(client)
    await session.flush()
    return Registered(client=client, secret=secret)


async def find_client(session: AsyncSession, client_id: str | None) -> OAuthClient | None:
    """The app with this public client id."""
    if not client_id or len(client_id) > 64:
        return None
    return await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


async def authenticate_client(
    session: AsyncSession, client_id: str | None, secret: str | None
) -> OAuthClient:
    """The app that authenticated: a confidential one by its secret, a public one by its id
    (PKCE then stands in for the secret). `invalid_client` otherwise."""
    client = await find_client(session, client_id)
    if client is None:
        raise OAuthError(INVALID_CLIENT, "unknown client")
    if client.secret_hash is not None and not (secret and same(digest(secret), client.secret_hash)):
        raise OAuthError(INVALID_CLIENT, "the client secret is missing or wrong")
    return client


def granted_scopes(
    client: OAuthClient, requested: str | None, *, redirect_uri: str | None = None
) -> tuple[str, ...]:
    """The scopes an app asks for, each within what it registered (`invalid_scope` else).
    Nothing asked: `read` when the app registered it, else everything it registered."""
    registered = frozenset(client.scopes.split())
    default = DEFAULT_SCOPE if covers(registered, DEFAULT_SCOPE) else client.scopes
    try:
        names = ordered_scopes(requested, default=default)
    except UnknownScope as exc:
        raise OAuthError(
            INVALID_SCOPE, f"unknown scope: {' '.join(exc.names)}", redirect_uri=redirect_uri
        ) from exc
    beyond = [name for name in names if not covers(registered, name)]
    if beyond:
        raise OAuthError(
            INVALID_SCOPE,
            f"this app did not register the scope {' '.join(beyond)}",
            redirect_uri=redirect_uri,
        )
    return names
