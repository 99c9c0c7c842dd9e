"""THE seam that signs every outgoing request: an httpx.Auth (GET and POST).

Double-knock: sign RFC 9421 for peers known to accept it, draft-cavage for everyone else; on a
401, sign once more with the other scheme and report which scheme worked so the caller can
remember it per host.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from smartnode.federation.signatures import PrivateKey, sign_request_cavage, sign_request_rfc9421
from smartnode.federation.signatures_core import Scheme

_SIGNATURE_HEADERS = ("signature", "signature-input", "digest", "content-digest", "date")


def utc_now() -> datetime:
    return datetime.now(UTC)


class HttpSignatureAuth(httpx.Auth):
    """Signs with one actor's key; re-signs on every attempt (signatures expire)."""

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        private_key: PrivateKey,
        *,
        prefer_rfc9421: bool = False,
        double_knock: bool = True,
        clock: Callable[[], datetime] = utc_now,
        on_scheme_learned: Callable[[str, Scheme], None] | None = None,
    ) -> None:
        self.key_id = key_id
        self.private_key = private_key
        self.prefer_rfc9421 = prefer_rfc9421
        self.double_knock = double_knock
        self.clock = clock
        self.on_scheme_learned = on_scheme_learned

    def sign(self, request: httpx.Request, scheme: Scheme) -> None:
        """Replace any earlier signature on `request` with a fresh one in `scheme`."""
        for name in _SIGNATURE_HEADERS:
            request.headers.pop(name, None)
        sign = sign_request_rfc9421 if scheme == "rfc9421" else sign_request_cavage
        added = sign(
            request.method,
            str(request.url),
            dict(request.headers),
            request.content,
            self.key_id,
            self.private_key,
            self.clock(),
        )
        added.pop("Host", None)  # httpx sends the same Host itself
        request.headers.update(added)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        first: Scheme = "rfc9421" if self.prefer_rfc9421 else "cavage"
        self.sign(request, first)
        response = yield request
        if response.status_code != 401 or not self.double_knock:
            return
        second: Scheme = "cavage" if first == "rfc9421" else "rfc9421"
        self.sign(request, second)
        retried = yield request
        if retried.status_code != 401 and self.on_scheme_learned is not None:
            self.on_scheme_learned(request.url.host, second)
