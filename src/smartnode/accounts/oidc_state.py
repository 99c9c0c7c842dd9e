"""What a sign-in through the provider remembers between leaving and coming back: state,
nonce, PKCE verifier and where to go next, sealed with an HMAC under the node's secret key
(the browser keeps it in a short-lived cookie that the callback clears: used once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from smartnode.accounts.secrets import new_secret, same

#: How long a person may take at the provider before coming back.
FLOW_LIFETIME = timedelta(minutes=10)
_LABEL = b"oidc-flow:"
MAX_SEALED = 4000


@dataclass(frozen=True, slots=True)
class FlowState:
    """One sign-in on its way through the provider."""

    state: str
    nonce: str
    verifier: str
    next_url: str
    expires_at: int  # seconds since the epoch

    @property
    def challenge(self) -> str:
        """The PKCE S256 challenge of the verifier (RFC 7636 §4.2)."""
        return _b64(hashlib.sha256(self.verifier.encode()).digest())


def new_flow(next_url: str, now: datetime) -> FlowState:
    """Fresh random state, nonce and 43-character verifier for one sign-in."""
    return FlowState(
        state=new_secret(24),
        nonce=new_secret(24),
        verifier=new_secret(32),
        next_url=next_url,
        expires_at=int((now + FLOW_LIFETIME).timestamp()),
    )


def seal_flow(flow: FlowState, secret: bytes) -> str:
    """The cookie value: the flow as base64 JSON and its HMAC-SHA256."""
    payload = _b64(orjson.dumps([flow.state, flow.nonce, flow.verifier, flow.next_url,
                                 flow.expires_at]))  # fmt: skip
    return f"{payload}.{_mac(payload, secret)}"


def open_flow(sealed: str | None, secret: bytes, now: datetime) -> FlowState | None:
    """The flow of a cookie whose seal holds and which has not expired, else None."""
    if not sealed or len(sealed) > MAX_SEALED:
        return None
    payload, _, mac = sealed.partition(".")
    if not same(mac, _mac(payload, secret)):
        return None
    try:
        state, nonce, verifier, next_url, expires_at = orjson.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    flow = FlowState(state, nonce, verifier, next_url, expires_at)
    if not all(isinstance(v, str) for v in (state, nonce, verifier, next_url)):
        return None
    if not isinstance(expires_at, int) or expires_at <= now.timestamp():
        return None
    return flow


def state_matches(flow: FlowState, state: str | None) -> bool:
    """Whether the provider sent back the state this flow started with."""
    return bool(state) and same(flow.state, state or "")


def _mac(payload: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, _LABEL + payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
