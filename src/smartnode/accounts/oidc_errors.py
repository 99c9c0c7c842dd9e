"""Why a sign-in through the cooperative's OpenID provider was refused.

Each refusal has a reason the sign-in page explains in the viewer's language, and the HTTP
status of that page: 400 for an answer from the provider that cannot be taken (cancelled,
bad state, bad token), 403 when the person is known at the provider but may not sign in
here, 404 when the node has no provider, 502 when the provider cannot be reached.
"""

from __future__ import annotations

from typing import Literal

from smartnode.errors import SmartnodeError

Reason = Literal[
    "off",  # no provider configured
    "denied",  # the person cancelled at the provider, or it refused (error=access_denied)
    "provider",  # the provider answered with another error
    "state",  # no flow started here matches (cookie missing, expired, used, wrong state)
    "token",  # the code exchange or the ID token failed a check
    "unreachable",  # discovery, keys, token or userinfo could not be fetched
    "unverified",  # the provider did not vouch for an email address
    "unknown",  # no member has that address and creating members is off
    "suspended",  # the member's account is suspended
    "linked_elsewhere",  # the member signs in with another identity at this provider
]

STATUS: dict[str, int] = {
    "off": 404,
    "unreachable": 502,
    "unverified": 403,
    "unknown": 403,
    "suspended": 403,
    "linked_elsewhere": 403,
}


class OidcRefused(SmartnodeError):
    """A sign-in through the provider was refused; `reason` says why (never shown raw)."""

    code = "oidc_refused"

    def __init__(self, reason: Reason, detail: str = "", *, email: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason
        self.email = email
        self.status_code = STATUS.get(reason, 400)
