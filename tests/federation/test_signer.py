"""The outgoing signer: every request signed, verified by our verifier, double-knock on 401."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import (
    SignatureError,
    SignedRequest,
    load_public_key_pem,
    parse_signature,
    verify_signature,
)
from smartnode.federation.signer import HttpSignatureAuth

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PRIVATE_PEM, PUBLIC_PEM = generate_rsa_keypair()
KEY_ID = "https://se.smart.test/members/anna#main-key"


def _verified_scheme(request: httpx.Request) -> str:
    signed = SignedRequest(request.method, str(request.url), dict(request.headers), request.content)
    parsed = parse_signature(signed)
    verify_signature(parsed, signed, load_public_key_pem(PUBLIC_PEM), NOW)
    assert parsed.key_id == KEY_ID
    return parsed.scheme


def _auth(**options: object) -> HttpSignatureAuth:
    return HttpSignatureAuth(KEY_ID, load_private_key(PRIVATE_PEM), clock=lambda: NOW, **options)  # type: ignore[arg-type]


async def test_post_and_get_are_signed_as_mastodon_expects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202 if _verified_scheme(request) == "cavage" else 400)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=_auth()) as client:
        posted = await client.post(
            "https://m.example/inbox?x=1",
            content=b'{"type":"Follow"}',
            headers={"Content-Type": "application/activity+json"},
        )
        got = await client.get("https://m.example/users/bob")
    assert (posted.status_code, got.status_code) == (202, 202)
    post_sig, get_sig = seen[0].headers["signature"], seen[1].headers["signature"]
    assert 'headers="(request-target) host date digest content-type"' in post_sig
    assert 'headers="(request-target) host date"' in get_sig
    assert seen[0].headers["digest"].startswith("SHA-256=")


async def test_a_401_to_cavage_is_retried_once_in_rfc9421_and_remembered() -> None:
    schemes: list[str] = []
    learned: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        scheme = _verified_scheme(request)
        schemes.append(scheme)
        return httpx.Response(202 if scheme == "rfc9421" else 401)

    auth = _auth(on_scheme_learned=lambda host, scheme: learned.append((host, scheme)))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        response = await client.post("https://gts.example/inbox", content=b"{}")
    assert response.status_code == 202
    assert schemes == ["cavage", "rfc9421"]
    assert learned == [("gts.example", "rfc9421")]
    assert "content-digest" in {k.lower() for k in response.request.headers}


async def test_a_second_401_is_returned_without_a_third_try() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401)

    auth = _auth(prefer_rfc9421=True)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        response = await client.get("https://x.example/actor")
    assert response.status_code == 401 and calls == 2


async def test_a_tampered_body_does_not_verify() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        tampered = SignedRequest(
            request.method, str(request.url), dict(request.headers), request.content + b" "
        )
        try:
            verify_signature(
                parse_signature(tampered), tampered, load_public_key_pem(PUBLIC_PEM), NOW
            )
        except SignatureError as error:
            return httpx.Response(401, json={"code": error.code})
        return httpx.Response(202)

    auth = _auth(double_knock=False)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        response = await client.post("https://m.example/inbox", content=b"{}")
    assert response.status_code == 401 and response.json()["code"] == "digest_mismatch"
