"""Checking an ID token (OpenID Connect Core §3.1.3.7): signature by one of the provider's
published keys, then iss, aud (and azp), exp, iat, nonce and sub. Pure: keys and time are
passed in.

Only asymmetric algorithms are taken: `none` never, and HMAC never (a client secret is not a
key anyone should sign a member's identity with).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, TypeGuard

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smartnode.accounts.oidc_errors import OidcRefused
from smartnode.accounts.secrets import same

SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
     "Ed25519"}
)  # fmt: skip
#: Clock difference tolerated between the provider and this node, in seconds.
LEEWAY = 60
MAX_TOKEN = 16_000


def token_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, unverified (to pick the key), or OidcRefused."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 2:
        raise OidcRefused("token", "the ID token is not a compact JWS")
    head = token.partition(".")[0]
    try:
        header = orjson.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        raise OidcRefused("token", "the ID token's header is not JSON") from None
    if not isinstance(header, dict):
        raise OidcRefused("token", "the ID token's header is not an object")
    if header.get("alg") not in SIGNING_ALGORITHMS:
        raise OidcRefused("token", f"ID token algorithm {header.get('alg')!r} is not taken")
    return header


def has_key(keys: KeySet, header: dict[str, Any]) -> bool:
    """Whether the key set holds the key the header names (by `kid`, or the only key)."""
    kid = header.get("kid")
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


def verify_id_token(
    token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: datetime
) -> dict[str, Any]:
    """The claims of an ID token that passes every check, else OidcRefused("token")."""
    header = token_header(token)
    try:
        claims = dict(jwt.decode(token, keys, algorithms=[header["alg"]]).claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcRefused("token", f"bad ID token signature: {type(exc).__name__}") from None
    _check_claims(claims, issuer=issuer, client_id=client_id, nonce=nonce, now=now.timestamp())
    return claims


def _check_claims(
    claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str, now: float
) -> None:
    if claims.get("iss") != issuer:
        raise OidcRefused("token", "the ID token comes from another issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise OidcRefused("token", "the ID token is meant for another client")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise OidcRefused("token", "the ID token was issued to another party (azp)")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _number(exp) or exp + LEEWAY <= now:
        raise OidcRefused("token", "the ID token has expired")
    if not _number(iat) or iat - LEEWAY > now:
        raise OidcRefused("token", "the ID token was issued in the future")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not same(sent, nonce):
        raise OidcRefused("token", "the ID token's nonce is not the one sent")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise OidcRefused("token", "the ID token has no usable subject")


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
