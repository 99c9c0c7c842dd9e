"""The cooperative's OpenID provider as this process knows it: its metadata (OpenID Connect
Discovery 1.0, `<issuer>/.well-known/openid-configuration`) and its signing keys (JWKS), both
fetched through the node's guarded Fetcher and kept for the life of the process. The keys are
fetched again, once per token, when a token names a key not seen yet (a rotation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smartnode.accounts.oidc_errors import OidcRefused, Reason
from smartnode.accounts.oidc_tokens import has_key, token_header
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher, FetchError, HTTPStatusError

WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What the node uses of the provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_methods: tuple[str, ...]

    @property
    def client_auth(self) -> str:
        """`client_secret_basic` unless the provider takes only `client_secret_post`."""
        methods = self.token_auth_methods
        if "client_secret_post" in methods and "client_secret_basic" not in methods:
            return "client_secret_post"
        return "client_secret_basic"


def metadata_from(document: dict[str, Any], issuer: str) -> ProviderMetadata:
    """The metadata of a discovery document for `issuer`, or OidcRefused("unreachable")."""
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise OidcRefused("unreachable", "the discovery document names another issuer")
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if not all(isinstance(document.get(name), str) and document[name] for name in needed):
        raise OidcRefused("unreachable", "the discovery document lacks an endpoint")
    userinfo = document.get("userinfo_endpoint")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return ProviderMetadata(
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
        token_auth_methods=tuple(m for m in methods if isinstance(m, str)),
    )


class OidcProvider:
    """The configured provider: metadata and keys, fetched on first use and kept."""

    def __init__(self, settings: Settings, fetcher: Fetcher) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None

    @property
    def client_id(self) -> str:
        return self.settings.oidc_client_id

    @property
    def client_secret(self) -> str:
        secret = self.settings.oidc_client_secret
        return secret.get_secret_value() if secret is not None else ""

    async def metadata(self) -> ProviderMetadata:
        """The discovery document (fetched once per process)."""
        if self._metadata is None:
            issuer = self.settings.oidc_issuer
            document = await self.fetch(issuer.rstrip("/") + WELL_KNOWN)
            self._metadata = metadata_from(document, issuer)
        return self._metadata

    async def keys_for(self, token: str) -> KeySet:
        """The provider's keys, holding the one `token` names if the provider publishes it
        (kept keys first; fetched again once when the key is not among them)."""
        header = token_header(token)
        if self._keys is not None and has_key(self._keys, header):
            return self._keys
        document = await self.fetch((await self.metadata()).jwks_uri)
        try:
            self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, KeyError, ValueError, TypeError):
            raise OidcRefused("unreachable", "the provider's JWKS cannot be read") from None
        return self._keys

    async def fetch(
        self, url: str, *, refused_as: Reason = "unreachable", **options: Any
    ) -> dict[str, Any]:
        """A JSON answer of the provider through the guarded Fetcher. Not reached, or not
        JSON: OidcRefused("unreachable"); a 4xx answer: OidcRefused(`refused_as`)."""
        try:
            return (await self.fetcher.call_json(url, **options)).data
        except HTTPStatusError as exc:
            reason = refused_as if 400 <= exc.status < 500 else "unreachable"
            raise OidcRefused(reason, exc.message) from None
        except FetchError as exc:
            raise OidcRefused("unreachable", exc.message) from None
