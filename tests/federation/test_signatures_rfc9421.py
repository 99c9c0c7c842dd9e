"""RFC 9421 signatures: the RFC's own examples, round trips with the library, and refusals.

Vectors (tests/federation/vectors/): the RFC 9421 Appendix B keys and examples and the
section 4.3 rsa-v1_5-sha256 proxy signature; rfc9421.json says where each value came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver
from http_message_signatures.algorithms import (
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    HTTPSignatureAlgorithm,
)

from smartnode.federation.digests import check_content_digest, content_digest_header
from smartnode.federation.signatures import (
    SignatureError,
    SignedRequest,
    load_public_key_pem,
    parse_signature,
    sign_request_rfc9421,
    verify_signature,
)
from smartnode.federation.signatures_core import verify_primitive

VECTORS = Path(__file__).parent / "vectors"
RFC = json.loads((VECTORS / "rfc9421.json").read_text())
CREATED = datetime.fromtimestamp(1618884473, UTC)

NOW = datetime(2025, 6, 2, 10, 30, tzinfo=UTC)
INBOX = "https://se.smart.test/inbox"
KEY_ID = "https://fedify.example/users/bob#main-key"
AP = "application/activity+json"
BODY = b'{"type":"Follow","actor":"https://fedify.example/users/bob"}'

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def rfc_key(name: str, *, private: bool = False) -> Any:
    public_pem, private_pem = (VECTORS / f"{name}.pem").read_text().split("\n\n")
    if private:
        return serialization.load_pem_private_key(private_pem.encode(), password=None)
    return load_public_key_pem(public_pem)


def rfc_request(example: dict[str, Any]) -> SignedRequest:
    base = RFC["test_request"]
    pairs = [tuple(pair) for pair in base["headers"]]
    pairs += [("Signature-Input", example["signature_input"]), ("Signature", example["signature"])]
    return SignedRequest.from_pairs(base["method"], base["url"], pairs, base["body"].encode())


def proxy_request(url: str | None = None) -> SignedRequest:
    message = RFC["section_4_3"]["request"]
    pairs = [tuple(pair) for pair in message["headers"]]
    return SignedRequest.from_pairs(
        message["method"], url or message["url"], pairs, message["body"].encode()
    )


@dataclass
class Message:
    """The message shape the library signs in place."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def bob() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def mallory() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def library_signed(
    key: PrivateKey,
    *,
    method: str = "POST",
    url: str = INBOX,
    body: bytes | None = BODY,
    components: tuple[str, ...] = ("@method", "@target-uri", "content-type"),
    created: datetime = NOW,
    expires: datetime | None = None,
    key_id: str = KEY_ID,
    algorithm: type[HTTPSignatureAlgorithm] | None = None,
) -> SignedRequest:
    """Sign with http-message-signatures' own signer, independent of ours."""
    message = Message(method, url, {"Host": "se.smart.test", "Content-Type": AP})
    if algorithm is None:
        algorithm = RSA_V1_5_SHA256 if isinstance(key, rsa.RSAPrivateKey) else ED25519
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: key})
    HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver).sign(
        message,
        key_id=key_id,
        created=created,
        expires=expires,
        label="sig1",
        covered_component_ids=components,
        body=body,
    )
    return SignedRequest(method, url, message.headers, body or b"")


def with_headers(request: SignedRequest, **changes: str) -> SignedRequest:
    headers = dict(request.headers)
    headers.update({name.replace("_", "-").title(): value for name, value in changes.items()})
    return SignedRequest(request.method, request.url, headers, request.body)


def verify(request: SignedRequest, key: object, now: datetime = NOW) -> None:
    verify_signature(parse_signature(request), request, key, now)  # type: ignore[arg-type]


def refused(request: SignedRequest, key: object, code: str, now: datetime = NOW) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(request, key, now)
    assert caught.value.code == code, caught.value.reason


def refused_at_parse(request: SignedRequest, code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        parse_signature(request)
    assert caught.value.code == code, caught.value.reason


# --- the RFC's examples -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["B.2.1", "B.2.2", "B.2.3", "B.2.6"])
def test_rfc_appendix_b_signature_base_and_signature(name: str) -> None:
    example = RFC["examples"][name]
    parsed = parse_signature(rfc_request(example))
    assert parsed.scheme == "rfc9421"
    assert parsed.label == example["label"]
    assert parsed.key_id == example["key"]
    assert parsed.created == CREATED
    assert parsed.base == "\n".join(example["base"])
    pss = example["algorithm"] == "rsa-pss-sha512"
    key = rfc_key(example["key"])
    assert verify_primitive(key, parsed.signature, parsed.base.encode(), rsa_pss_sha512=pss)
    tampered = parsed.base.encode() + b" "
    assert not verify_primitive(key, parsed.signature, tampered, rsa_pss_sha512=pss)


def test_rfc_ed25519_example_meets_our_rules_only_where_it_covers_enough() -> None:
    # B.2.6 verifies cryptographically (above) but signs neither @query nor Content-Digest.
    request = rfc_request(RFC["examples"]["B.2.6"])
    refused(request, rfc_key("test-key-ed25519"), "missing_query", CREATED)
    without_query = SignedRequest(
        request.method, "https://example.com/foo", request.headers, request.body
    )
    refused(without_query, rfc_key("test-key-ed25519"), "missing_digest", CREATED)


def test_rfc_pss_example_without_alg_is_read_as_pkcs1_for_an_rsa_key() -> None:
    # B.2.3 covers everything we require, but carries no alg: an RSA key means rsa-v1_5-sha256.
    request = rfc_request(RFC["examples"]["B.2.3"])
    refused(request, rfc_key("test-key-rsa-pss"), "bad_signature", CREATED)


def test_rfc_section_4_3_rsa_v1_5_proxy_signature_verifies() -> None:
    example = RFC["section_4_3"]
    created = datetime.fromtimestamp(1618884480, UTC)
    key = rfc_key("test-key-rsa")
    parsed = parse_signature(proxy_request(), label="proxy_sig")
    assert parsed.base == "\n".join(example["base"])
    assert parsed.algorithm == "rsa-v1_5-sha256"
    assert parsed.expires == datetime.fromtimestamp(1618884540, UTC)
    refused(proxy_request(), key, "missing_query", created)  # the query is not signed
    # The signature covers @path, not the query: the same message without one passes every rule.
    request = proxy_request("https://origin.host.internal.example/foo")
    verify_signature(parse_signature(request, label="proxy_sig"), request, key, created)
    late = created + timedelta(minutes=7)
    with pytest.raises(SignatureError) as caught:
        verify_signature(parse_signature(request, label="proxy_sig"), request, key, late)
    assert caught.value.code == "expired"


def test_rfc_first_label_is_the_ecdsa_client_signature_we_cannot_check() -> None:
    parsed = parse_signature(proxy_request())
    assert parsed.label == "sig1"
    assert parsed.key_id == "test-key-ecc-p256"
    with pytest.raises(SignatureError) as caught:
        rfc_key("test-key-ecc-p256")
    assert caught.value.code == "unsupported_key"


def test_rfc_test_keys_load_as_expected() -> None:
    ed_private = rfc_key("test-key-ed25519", private=True)
    assert isinstance(ed_private, ed25519.Ed25519PrivateKey)
    raw = ed_private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    # B.1.4 gives the same key as a JWK: x = JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs
    assert (
        base64.urlsafe_b64encode(raw).rstrip(b"=") == b"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
    )
    for name in ("test-key-rsa", "test-key-rsa-pss"):
        public = rfc_key(name)
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == 2048


# --- round trips and the library cross-check --------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_sign_then_verify_round_trip(
    bob: rsa.RSAPrivateKey,
    mallory: rsa.RSAPrivateKey,
    ed_key: ed25519.Ed25519PrivateKey,
    method: str,
    kind: str,
) -> None:
    key: PrivateKey = bob if kind == "rsa" else ed_key
    other: PrivateKey = mallory if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
    body = BODY if method == "POST" else None
    url = INBOX if method == "POST" else "https://se.smart.test/members/anna/outbox?page=2"
    headers = {"Host": "se.smart.test", "Content-Type": AP}
    added = sign_request_rfc9421(method, url, headers, body, KEY_ID, key, NOW)
    alg = "rsa-v1_5-sha256" if kind == "rsa" else "ed25519"
    covered = (
        '("@method" "@target-uri" "content-type" "content-digest")'
        if body
        else '("@method" "@target-uri")'
    )
    assert (
        added["Signature-Input"]
        == f'sig1={covered};created={int(NOW.timestamp())};keyid="{KEY_ID}";alg="{alg}"'
    )
    assert ("Content-Digest" in added) is (body is not None)
    request = SignedRequest(method, url, {**headers, **added}, body or b"")
    verify(request, key.public_key(), NOW + timedelta(minutes=10))
    refused(request, other.public_key(), "bad_signature")


def test_content_digest_from_our_signer_is_rfc9530_sha256(bob: rsa.RSAPrivateKey) -> None:
    added = sign_request_rfc9421("POST", INBOX, {"Content-Type": AP}, BODY, KEY_ID, bob, NOW)
    assert added["Content-Digest"] == content_digest_header(BODY)
    assert (
        content_digest_header(BODY)
        == "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"
    )


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_library_signs_we_verify(
    bob: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey, kind: str
) -> None:
    key: PrivateKey = bob if kind == "rsa" else ed_key
    verify(library_signed(key), key.public_key())


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_we_sign_library_verifies(
    bob: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey, kind: str
) -> None:
    key: PrivateKey = bob if kind == "rsa" else ed_key
    headers = {"Host": "se.smart.test", "Content-Type": AP}
    added = sign_request_rfc9421("POST", INBOX, headers, BODY, KEY_ID, key, NOW)
    message = Message("POST", INBOX, {**headers, **added})
    algorithm = RSA_V1_5_SHA256 if kind == "rsa" else ED25519
    resolver = MappingKeyResolver(public_keys={KEY_ID: key.public_key()}, private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=algorithm, key_resolver=resolver)
    results = verifier.verify(
        message, max_age=None, body=BODY, require_components=("@method", "@target-uri")
    )
    assert results[0].parameters["keyid"] == KEY_ID
    with pytest.raises(Exception, match="does not match"):
        verifier.verify(message, max_age=None, body=BODY + b" ")


# --- refusals, each for its own reason --------------------------------------------------------


def test_tampered_body_is_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob)
    refused(
        SignedRequest("POST", INBOX, request.headers, BODY + b" "),
        bob.public_key(),
        "digest_mismatch",
    )


def test_tampered_content_digest_is_refused(bob: rsa.RSAPrivateKey) -> None:
    other = BODY.replace(b"Follow", b"Delete")
    swapped = with_headers(library_signed(bob), content_digest=content_digest_header(other))
    refused(SignedRequest("POST", INBOX, swapped.headers, other), bob.public_key(), "bad_signature")
    refused(swapped, bob.public_key(), "digest_mismatch")


def test_post_without_signed_content_digest_is_refused(bob: rsa.RSAPrivateKey) -> None:
    unsigned_body = library_signed(bob, body=None)
    refused(
        SignedRequest("POST", INBOX, unsigned_body.headers, BODY),
        bob.public_key(),
        "missing_digest",
    )


def test_missing_method_is_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob, components=("@target-uri",))
    refused(request, bob.public_key(), "missing_method")


def test_missing_target_uri_is_refused_but_authority_and_path_suffice(
    bob: rsa.RSAPrivateKey,
) -> None:
    refused(
        library_signed(bob, components=("@method", "@authority")),
        bob.public_key(),
        "missing_target_uri",
    )
    verify(library_signed(bob, components=("@method", "@authority", "@path")), bob.public_key())


def test_different_query_string_is_refused(bob: rsa.RSAPrivateKey) -> None:
    url = "https://se.smart.test/members/anna/outbox?page=2"
    signed = library_signed(bob, method="GET", url=url, body=None)
    verify(signed, bob.public_key())
    moved = SignedRequest("GET", url.replace("page=2", "page=3"), signed.headers)
    refused(moved, bob.public_key(), "bad_signature")
    path_only = library_signed(
        bob, method="GET", url=url, body=None, components=("@method", "@authority", "@path")
    )
    refused(path_only, bob.public_key(), "missing_query")


def test_stale_and_future_created_are_refused(bob: rsa.RSAPrivateKey) -> None:
    verify(library_signed(bob, created=NOW - timedelta(minutes=59)), bob.public_key())
    refused(
        library_signed(bob, created=NOW - timedelta(minutes=61)), bob.public_key(), "date_too_old"
    )
    refused(
        library_signed(bob, created=NOW + timedelta(minutes=61)), bob.public_key(), "date_in_future"
    )


def test_expired_signature_is_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(
        bob, created=NOW - timedelta(minutes=20), expires=NOW - timedelta(minutes=10)
    )
    refused(request, bob.public_key(), "expired")


def test_missing_created_is_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob)
    no_created = request.headers["Signature-Input"].replace(f";created={int(NOW.timestamp())}", "")
    refused_at_parse(with_headers(request, signature_input=no_created), "missing_created")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ('keyid="https://fedify.example/users/bob#main-key"', "duplicate_param"),
        ('alg="hmac-sha256"', "forbidden_algorithm"),
        ('alg="rsa-sha1"', "forbidden_algorithm"),
        ('alg="ecdsa-p256-sha256"', "unsupported_algorithm"),
        ('mood="happy"', "unknown_parameter"),
    ],
)
def test_bad_signature_parameters_are_refused(
    bob: rsa.RSAPrivateKey, change: str, code: str
) -> None:
    request = library_signed(bob)
    header = request.headers["Signature-Input"].replace(';alg="rsa-v1_5-sha256"', "")
    refused_at_parse(with_headers(request, signature_input=f"{header};{change}"), code)


def test_acct_keyid_is_refused(bob: rsa.RSAPrivateKey) -> None:
    refused_at_parse(library_signed(bob, key_id="acct:bob@fedify.example"), "acct_key_id")


def test_key_type_decides_not_the_claimed_algorithm(
    bob: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    # An Ed25519 signature over the base, in a signature that claims rsa-v1_5-sha256.
    request = library_signed(bob)
    forged = ed_key.sign(parse_signature(request).base.encode())
    label_value = "sig1=:" + base64.b64encode(forged).decode() + ":"
    refused(with_headers(request, signature=label_value), bob.public_key(), "bad_signature")
    refused(request, ed_key.public_key(), "algorithm_mismatch")
    refused(library_signed(ed_key), bob.public_key(), "algorithm_mismatch")


def test_wrong_key_is_refused(bob: rsa.RSAPrivateKey, mallory: rsa.RSAPrivateKey) -> None:
    refused(library_signed(mallory), bob.public_key(), "bad_signature")


def test_rsa_1024_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    refused(library_signed(weak), weak.public_key(), "weak_key")


@pytest.mark.parametrize("value", ["sig1=:!!garbage!!:", "sig1=:A*A=:", "sig1=notbytes", "sig1=::"])
def test_garbage_signature_value_is_refused(bob: rsa.RSAPrivateKey, value: str) -> None:
    refused_at_parse(with_headers(library_signed(bob), signature=value), "malformed_signature")


def test_oversized_and_malformed_headers_are_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob)
    huge = request.headers["Signature-Input"] + ';nonce="' + "x" * 9000 + '"'
    refused_at_parse(with_headers(request, signature_input=huge), "header_too_large")
    refused_at_parse(
        with_headers(request, signature_input='sig1=("@method"'), "malformed_signature"
    )
    refused_at_parse(with_headers(request, signature="sig2=:AAAA:"), "malformed_signature")
    twice = request.headers["Signature-Input"] + ", " + request.headers["Signature-Input"]
    refused_at_parse(with_headers(request, signature_input=twice), "duplicate_label")


def test_covered_header_absent_from_request_is_refused(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    refused_at_parse(SignedRequest("POST", INBOX, headers, BODY), "missing_header")


# --- Content-Digest ---------------------------------------------------------------------------


def test_content_digest_accepts_sha256_and_sha512() -> None:
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    check_content_digest(content_digest_header(BODY), BODY)
    check_content_digest(f"sha-512=:{sha512}:", BODY)
    check_content_digest(f"{content_digest_header(BODY)}, sha-512=:{sha512}:", BODY)
    check_content_digest(f"md5=:AAAA:, {content_digest_header(BODY)}", BODY)
    rfc = dict(RFC["test_request"]["headers"])["Content-Digest"]
    check_content_digest(rfc, RFC["test_request"]["body"].encode())


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (
            "md5=:" + base64.b64encode(hashlib.md5(BODY).digest()).decode() + ":",
            "digest_unsupported",
        ),
        (
            "sha-256=:" + base64.b64encode(hashlib.sha256(b"other").digest()).decode() + ":",
            "digest_mismatch",
        ),
        ("sha-256=AAAA", "malformed_digest"),
        ("sha-256=:AAAA", "malformed_digest"),
        ("sha-256=:***:", "bad_base64"),
    ],
)
def test_bad_content_digests_are_refused(header: str, code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        check_content_digest(header, BODY)
    assert caught.value.code == code


def test_rsa_pss_sha512_verifies_when_alg_says_so(bob: rsa.RSAPrivateKey) -> None:
    request = library_signed(bob, algorithm=RSA_PSS_SHA512)
    parsed = parse_signature(request)
    assert parsed.algorithm == "rsa-pss-sha512"
    verify_signature(parsed, request, bob.public_key(), NOW)
    no_alg = parsed.base.encode()
    assert not verify_primitive(bob.public_key(), parsed.signature, no_alg)  # not PKCS#1 v1.5
