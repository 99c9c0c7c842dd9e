"""The pure checks of the provider sign-in, one rule at a time: the ID token's claims and
algorithms, the sealed flow cookie, usernames made from what the provider says, and the
provider's keys fetched again once for a key not seen yet (a provider faked at the transport).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from pydantic import SecretStr

from smartnode.accounts.oidc_discovery import OidcProvider, metadata_from
from smartnode.accounts.oidc_errors import OidcRefused
from smartnode.accounts.oidc_flow import ProviderIdentity
from smartnode.accounts.oidc_link import username_base
from smartnode.accounts.oidc_state import FlowState, new_flow, open_flow, seal_flow
from smartnode.accounts.oidc_tokens import verify_id_token
from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher

ISSUER = "https://id.smart.test"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SECRET = b"a-secret-key-for-these-tests-only"


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"})


KEY = rsa_key("k1")


def id_token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    claims = {"iss": ISSUER, "aud": "smartnode", "sub": "anna", "nonce": "n-1",
              "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 300}  # fmt: skip
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def json_response(body: Any, kind: str = "json") -> httpx.Response:
    """A provider's JSON answer, streamed as the Fetcher reads it."""
    content = orjson.dumps(body)
    return httpx.Response(200, headers={"content-type": f"application/{kind}"},
                          stream=httpx.ByteStream(content))  # fmt: skip


def verify(token: str, keys: KeySet | None = None) -> dict[str, Any]:
    return verify_id_token(token, keys or KeySet([KEY]), issuer=ISSUER, client_id="smartnode",
                           nonce="n-1", now=NOW)  # fmt: skip


def refused(token: str, keys: KeySet | None = None) -> str:
    with pytest.raises(OidcRefused) as caught:
        verify(token, keys)
    assert caught.value.reason == "token"
    return str(caught.value)


def test_a_good_id_token_gives_its_claims() -> None:
    assert verify(id_token())["sub"] == "anna"
    assert verify(id_token(aud=["smartnode", "api"], azp="smartnode"))["sub"] == "anna"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"iss": "https://other.example"}, "another issuer"),
        ({"aud": "elsewhere"}, "another client"),
        ({"aud": ["smartnode", "api"]}, "azp"),
        ({"aud": ["smartnode", "api"], "azp": "api"}, "azp"),
        ({"exp": int((NOW - timedelta(minutes=2)).timestamp())}, "expired"),
        ({"exp": None}, "expired"),
        ({"iat": int((NOW + timedelta(minutes=5)).timestamp())}, "future"),
        ({"nonce": "n-2"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": ""}, "subject"),
    ],
)
def test_a_claim_out_of_place_refuses_the_token(changes: dict[str, Any], why: str) -> None:
    assert why in refused(id_token(**changes))


def test_a_minute_of_clock_difference_is_tolerated() -> None:
    late = int((NOW - timedelta(seconds=30)).timestamp())
    early = int((NOW + timedelta(seconds=30)).timestamp())
    assert verify(id_token(exp=late, iat=early))["sub"] == "anna"


def test_hmac_and_none_are_never_taken() -> None:
    secret = OctKey.import_key("smartnode-secret-for-tests-0123456789", {"kid": "k1"})
    assert "not taken" in refused(id_token(key=secret, alg="HS256"), KeySet([secret]))
    claims = id_token().split(".")[1]
    assert "not taken" in refused(f"eyJhbGciOiJub25lIn0.{claims}.")  # {"alg":"none"}


def test_a_token_signed_by_another_key_is_refused() -> None:
    impostor = rsa_key("k1")  # same kid, other key
    assert "signature" in refused(id_token(key=impostor))
    assert "signature" in refused(id_token(key=rsa_key("k9")))  # a kid the set lacks


def test_the_flow_cookie_opens_only_unchanged_and_in_time() -> None:
    flow = new_flow("/account/sessions", NOW)
    sealed = seal_flow(flow, SECRET)
    assert open_flow(sealed, SECRET, NOW) == flow
    assert open_flow(sealed, b"another-secret-key-0123456789", NOW) is None
    assert open_flow(sealed.replace(".", "x."), SECRET, NOW) is None
    assert open_flow(sealed, SECRET, NOW + timedelta(minutes=11)) is None
    assert open_flow("garbage", SECRET, NOW) is None
    assert open_flow(None, SECRET, NOW) is None
    assert len(flow.verifier) == 43 and flow.challenge != flow.verifier


def test_the_pkce_challenge_is_s256_of_the_verifier() -> None:
    # RFC 7636, appendix B
    flow = FlowState("s", "n", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "/", 0)
    assert flow.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize(
    ("preferred", "email", "username"),
    [
        ("Nína Ödegård", "n@example.org", "nina_odegard"),
        ("anna.berg", "x@example.org", "anna.berg"),
        ("--Jörg..Müller--", "x@example.org", "jorg.muller"),
        (None, "Ola.Nordmann@example.org", "ola.nordmann"),
        ("admin", "åsa@example.org", "asa"),
        ("李", "李@example.org", "member"),
        ("x" * 60, "x@example.org", "x" * 25),
    ],
)
def test_usernames_are_ascii_and_valid(preferred: str | None, email: str, username: str) -> None:
    identity = ProviderIdentity(ISSUER, "s", email, True, preferred, None)
    assert username_base(identity) == username


def test_discovery_must_name_the_configured_issuer() -> None:
    document = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks"}  # fmt: skip
    assert metadata_from(document, ISSUER + "/").client_auth == "client_secret_basic"
    only_post = {**document, "token_endpoint_auth_methods_supported": ["client_secret_post"]}
    assert metadata_from(only_post, ISSUER).client_auth == "client_secret_post"
    with pytest.raises(OidcRefused):
        metadata_from({**document, "issuer": "https://evil.example"}, ISSUER)
    with pytest.raises(OidcRefused):
        metadata_from({**document, "jwks_uri": None}, ISSUER)


async def test_keys_are_kept_and_fetched_again_once_for_a_new_kid(settings: Settings) -> None:
    published = [KEY]
    fetched: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        if request.url.path == "/.well-known/openid-configuration":
            return json_response({
                "issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks"})  # fmt: skip
        return json_response(KeySet(list(published)).as_dict(private=False), "jwk-set+json")

    configured = settings.model_copy(update={"oidc_issuer": ISSUER, "oidc_client_id": "smartnode",
                                             "oidc_client_secret": SecretStr("s")})  # fmt: skip
    async with Fetcher(configured, transport=httpx.MockTransport(provider)) as fetcher:
        oidc = OidcProvider(configured, fetcher)
        assert verify(id_token(), await oidc.keys_for(id_token()))
        assert verify(id_token(), await oidc.keys_for(id_token()))
        assert fetched == ["/.well-known/openid-configuration", "/jwks"]

        rotated = rsa_key("k2")
        published.append(rotated)
        token = id_token(key=rotated)
        assert verify(token, await oidc.keys_for(token))
        assert fetched[2:] == ["/jwks"]

        stranger = id_token(key=rsa_key("k3"))  # never published: one more look, then refused
        refused(stranger, await oidc.keys_for(stranger))
        assert fetched[3:] == ["/jwks"]
