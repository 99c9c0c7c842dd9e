"""HTTP signatures: draft-cavage (Mastodon's) and RFC 9421, sign and verify (pure: takes `now`).

Incoming: `parse_signature(request)` reads the claim (scheme, key id, coverage, signature base)
so the caller can fetch the key; `verify_signature(parsed, request, key, now)` applies the rules
of PROTOCOL.md "Signatures" and checks the signature. Both raise SignatureError(code, reason),
a 401. A request with `Signature-Input` is RFC 9421; otherwise draft-cavage.

Outgoing: `sign_request_cavage` / `sign_request_rfc9421` return the headers to add.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smartnode.federation.signatures_cavage import parse_cavage, sign_request_cavage, verify_cavage
from smartnode.federation.signatures_core import (
    DEFAULT_MAX_SKEW,
    Headers,
    ParsedSignature,
    PrivateKey,
    PublicKey,
    SignatureError,
    SignedRequest,
    load_public_key_pem,
)
from smartnode.federation.signatures_rfc9421 import (
    parse_rfc9421,
    sign_request_rfc9421,
    verify_rfc9421,
)

__all__ = [
    "DEFAULT_MAX_SKEW",
    "Headers",
    "ParsedSignature",
    "PrivateKey",
    "PublicKey",
    "SignatureError",
    "SignedRequest",
    "load_public_key_pem",
    "parse_signature",
    "sign_request_cavage",
    "sign_request_rfc9421",
    "verify_signature",
]


def parse_signature(request: SignedRequest, *, label: str | None = None) -> ParsedSignature:
    """Read the request's signature claim without checking it; `label` picks an RFC 9421 one."""
    if "signature-input" in request.headers:
        return parse_rfc9421(request, label=label)
    return parse_cavage(request)


def verify_signature(
    parsed: ParsedSignature,
    request: SignedRequest,
    public_key: PublicKey,
    now: datetime,
    *,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Check coverage, digest, time window, key type and the signature; raise SignatureError."""
    if parsed.scheme == "rfc9421":
        verify_rfc9421(parsed, request, public_key, now, max_skew=max_skew)
    else:
        verify_cavage(parsed, request, public_key, now, max_skew=max_skew)
