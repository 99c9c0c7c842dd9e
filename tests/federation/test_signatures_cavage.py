"""draft-cavage signatures as Mastodon sends them: what verifies, and why everything else fails.

Requests are signed here independently of our signer, the way Mastodon's Request class does it:
the signed string is `name: value` lines of the listed headers, PKCS#1 v1.5 + SHA-256, base64.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from smartnode.errors import Unauthorized
from smartnode.federation.digests import check_digest, digest_header
from smartnode.federation.signatures import (
    SignatureError,
    SignedRequest,
    load_public_key_pem,
    parse_signature,
    sign_request_cavage,
    verify_signature,
)

NOW = datetime(2025, 6, 2, 10, 30, tzinfo=UTC)
INBOX = "https://se.smart.test/inbox"
KEY_ID = "https://mastodon.example/users/alice#main-key"
AP = "application/activity+json"
BODY = b'{"type":"Follow","actor":"https://mastodon.example/users/alice"}'
POST_HEADERS = "(request-target) host date digest content-type"

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@pytest.fixture(scope="module")
def alice() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def mallory() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw_sign(key: PrivateKey, text: str) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return key.sign(text.encode())


def mastodon_request(
    key: PrivateKey,
    *,
    method: str = "POST",
    url: str = INBOX,
    body: bytes = BODY,
    headers: str = POST_HEADERS,
    algorithm: str | None = "rsa-sha256",
    key_id: str = KEY_ID,
    date: datetime = NOW,
    signed_target: str | None = None,
    params: str = "",
    values: dict[str, str] | None = None,
) -> SignedRequest:
    """A request signed like Mastodon's Request#signature, with knobs to get it wrong."""
    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    wire = {"Host": split.netloc, "Date": format_datetime(date, usegmt=True)}
    if method == "POST":
        wire |= {"Digest": "SHA-256=" + b64(hashlib.sha256(body).digest()), "Content-Type": AP}
    lines = {"(request-target)": f"{method.lower()} {signed_target or target}"}
    lines |= {name.lower(): value for name, value in wire.items()} | (values or {})
    signed = "\n".join(f"{name}: {lines[name]}" for name in headers.split())
    alg = f'algorithm="{algorithm}",' if algorithm else ""
    wire["Signature"] = (
        f'keyId="{key_id}",{alg}headers="{headers}",{params}'
        f'signature="{b64(raw_sign(key, signed))}"'
    )
    return SignedRequest(method, url, wire, body if method == "POST" else b"")


def replace(request: SignedRequest, **changes: object) -> SignedRequest:
    headers = dict(request.headers)
    headers.update({k.replace("_", "-").title(): v for k, v in changes.items() if k != "body"})
    body = changes.get("body", request.body)
    assert isinstance(body, bytes)
    return SignedRequest(request.method, request.url, headers, body)


def verify(request: SignedRequest, key: object, now: datetime = NOW) -> None:
    parsed = parse_signature(request)
    verify_signature(parsed, request, key, now)  # type: ignore[arg-type]


def refused(request: SignedRequest, key: object, code: str, now: datetime = NOW) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify(request, key, now)
    assert caught.value.code == code, caught.value.reason
    return caught.value


# --- what verifies ---------------------------------------------------------------------------


def test_mastodon_signed_post_parses_and_verifies(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice)
    parsed = parse_signature(request)
    assert parsed.scheme == "cavage"
    assert parsed.key_id == KEY_ID
    assert parsed.algorithm == "rsa-sha256"
    assert parsed.components == ("(request-target)", "host", "date", "digest", "content-type")
    assert parsed.date == NOW
    assert parsed.base == (
        "(request-target): post /inbox\nhost: se.smart.test\n"
        f"date: {format_datetime(NOW, usegmt=True)}\n{'digest: ' + digest_header(BODY)}\n"
        f"content-type: {AP}"
    )
    verify_signature(parsed, request, alice.public_key(), NOW)


def test_mastodon_signed_get_without_digest_verifies(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(
        alice,
        method="GET",
        url="https://se.smart.test/members/anna",
        headers="(request-target) host date",
    )
    assert "digest" not in request.headers
    verify(request, alice.public_key())


def test_post_need_not_sign_host_as_mastodon_accepts_it(alice: rsa.RSAPrivateKey) -> None:
    verify(mastodon_request(alice, headers="(request-target) date digest"), alice.public_key())


def test_hs2019_and_absent_algorithm_are_accepted(alice: rsa.RSAPrivateKey) -> None:
    verify(mastodon_request(alice, algorithm="hs2019"), alice.public_key())
    verify(mastodon_request(alice, algorithm=None), alice.public_key())


def test_ed25519_key_picks_ed25519_under_hs2019(ed_key: ed25519.Ed25519PrivateKey) -> None:
    verify(mastodon_request(ed_key, algorithm="hs2019"), ed_key.public_key())


def test_created_pseudo_header_stands_in_for_date(alice: rsa.RSAPrivateKey) -> None:
    created = int((NOW - timedelta(minutes=2)).timestamp())
    request = mastodon_request(
        alice,
        algorithm="hs2019",
        headers="(request-target) host (created) digest",
        params=f"created={created},",
        values={"(created)": str(created)},
    )
    assert parse_signature(request).created == NOW - timedelta(minutes=2)
    verify(request, alice.public_key())
    refused(request, alice.public_key(), "date_too_old", NOW + timedelta(minutes=59))


def test_signature_made_without_the_query_string_still_verifies(alice: rsa.RSAPrivateKey) -> None:
    url = "https://se.smart.test/members/anna/outbox?page=2"
    same = mastodon_request(alice, method="GET", url=url, headers="(request-target) host date")
    verify(same, alice.public_key())
    quirk = mastodon_request(
        alice,
        method="GET",
        url=url,
        headers="(request-target) host date",
        signed_target="/members/anna/outbox",
    )
    verify(quirk, alice.public_key())


def test_a_different_query_string_does_not_verify(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(
        alice,
        method="GET",
        url="https://se.smart.test/members/anna/outbox?page=3",
        headers="(request-target) host date",
        signed_target="/members/anna/outbox?page=2",
    )
    refused(request, alice.public_key(), "bad_signature")


def test_repeated_header_fields_are_joined_as_http_does(alice: rsa.RSAPrivateKey) -> None:
    signed = mastodon_request(
        alice,
        headers=POST_HEADERS + " x-trace",
        values={"x-trace": "a, b"},
    )
    pairs = [*signed.headers.items(), ("X-Trace", "a"), ("x-trace", " b ")]
    request = SignedRequest.from_pairs("POST", INBOX, pairs, BODY)
    assert request.headers["X-TRACE"] == "a, b"
    verify(request, alice.public_key())


# --- what is refused, each for its own reason -------------------------------------------------


def test_tampered_body_is_refused(alice: rsa.RSAPrivateKey) -> None:
    request = replace(mastodon_request(alice), body=BODY.replace(b"Follow", b"Delete"))
    refused(request, alice.public_key(), "digest_mismatch")


def test_tampered_digest_is_refused(alice: rsa.RSAPrivateKey) -> None:
    other = BODY.replace(b"Follow", b"Delete")
    swapped = replace(mastodon_request(alice), body=other, digest=digest_header(other))
    refused(swapped, alice.public_key(), "bad_signature")
    refused(
        replace(mastodon_request(alice), digest=digest_header(other)),
        alice.public_key(),
        "digest_mismatch",
    )


def test_post_without_signed_digest_is_refused(alice: rsa.RSAPrivateKey) -> None:
    refused(
        mastodon_request(alice, headers="(request-target) host date"),
        alice.public_key(),
        "missing_digest",
    )


def test_stale_date_is_refused(alice: rsa.RSAPrivateKey) -> None:
    verify(mastodon_request(alice, date=NOW - timedelta(minutes=59)), alice.public_key())
    error = refused(
        mastodon_request(alice, date=NOW - timedelta(minutes=61)),
        alice.public_key(),
        "date_too_old",
    )
    assert "61 minutes old" in error.reason


def test_future_date_is_refused(alice: rsa.RSAPrivateKey) -> None:
    verify(mastodon_request(alice, date=NOW + timedelta(minutes=59)), alice.public_key())
    refused(
        mastodon_request(alice, date=NOW + timedelta(minutes=61)),
        alice.public_key(),
        "date_in_future",
    )


def test_missing_date_and_created_is_refused(alice: rsa.RSAPrivateKey) -> None:
    refused(
        mastodon_request(alice, headers="(request-target) host digest"),
        alice.public_key(),
        "missing_date",
    )


def test_missing_request_target_is_refused(alice: rsa.RSAPrivateKey) -> None:
    refused(
        mastodon_request(alice, headers="host date digest"),
        alice.public_key(),
        "missing_request_target",
    )


def test_get_without_signed_host_is_refused(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice, method="GET", headers="(request-target) date")
    refused(request, alice.public_key(), "missing_host")


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-sha1", "RSA-SHA1", "hmac-sha1"])
def test_hmac_and_sha1_are_refused(alice: rsa.RSAPrivateKey, algorithm: str) -> None:
    refused(mastodon_request(alice, algorithm=algorithm), alice.public_key(), "forbidden_algorithm")


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "ecdsa-sha256", "ed25519"])
def test_unknown_algorithms_are_refused(alice: rsa.RSAPrivateKey, algorithm: str) -> None:
    refused(
        mastodon_request(alice, algorithm=algorithm), alice.public_key(), "unsupported_algorithm"
    )


def test_rsa_1024_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    refused(mastodon_request(weak), weak.public_key(), "weak_key")
    pem = weak.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SignatureError) as caught:
        load_public_key_pem(pem)
    assert caught.value.code == "weak_key"


def test_acct_key_id_is_refused(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice, key_id="acct:alice@mastodon.example")
    with pytest.raises(SignatureError) as caught:
        parse_signature(request)
    assert caught.value.code == "acct_key_id"


def test_key_type_decides_not_the_claimed_algorithm(
    alice: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    # An Ed25519 signature claiming rsa-sha256, checked with an RSA key: RSA verification fails.
    refused(mastodon_request(ed_key), alice.public_key(), "bad_signature")
    # The same claim against an Ed25519 key: rsa-sha256 cannot name an Ed25519 key.
    refused(mastodon_request(ed_key), ed_key.public_key(), "algorithm_mismatch")


def test_wrong_key_is_refused(alice: rsa.RSAPrivateKey, mallory: rsa.RSAPrivateKey) -> None:
    refused(mastodon_request(mallory), alice.public_key(), "bad_signature")


def test_garbage_base64_is_refused(alice: rsa.RSAPrivateKey) -> None:
    signature = mastodon_request(alice).headers["Signature"]
    garbled = signature.replace('signature="', 'signature="!!not*base64', 1)
    with pytest.raises(SignatureError) as caught:
        parse_signature(replace(mastodon_request(alice), signature=garbled))
    assert caught.value.code == "bad_base64"


def test_oversized_signature_header_is_refused(alice: rsa.RSAPrivateKey) -> None:
    padded = mastodon_request(alice, params=f'junk="{"x" * 9000}",')
    with pytest.raises(SignatureError) as caught:
        parse_signature(padded)
    assert caught.value.code == "header_too_large"


def test_duplicate_params_are_refused(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice, params=f'keyId="{KEY_ID}",')
    with pytest.raises(SignatureError) as caught:
        parse_signature(request)
    assert caught.value.code == "duplicate_param"


@pytest.mark.parametrize(
    "header",
    ['keyId="a",signature', 'keyId="a,signature="AAAA', 'keyId="a" junk,signature="AAAA"', "=x"],
)
def test_malformed_signature_header_is_refused(header: str) -> None:
    request = SignedRequest("GET", INBOX, {"Signature": header})
    with pytest.raises(SignatureError) as caught:
        parse_signature(request)
    assert caught.value.code == "malformed_signature"


def test_absent_signature_is_refused_as_unauthorized() -> None:
    with pytest.raises(Unauthorized) as caught:
        parse_signature(SignedRequest("POST", INBOX, {"Host": "se.smart.test"}, BODY))
    assert caught.value.status_code == 401
    assert isinstance(caught.value, SignatureError)
    assert caught.value.code == "missing_signature"


def test_created_with_rsa_sha256_and_expired_signatures_are_refused(
    alice: rsa.RSAPrivateKey,
) -> None:
    created = int(NOW.timestamp())
    with pytest.raises(SignatureError) as caught:
        parse_signature(
            mastodon_request(
                alice,
                headers="(request-target) host (created) digest",
                params=f"created={created},",
                values={"(created)": str(created)},
            )
        )
    assert caught.value.code == "malformed_signature"
    expires = created - 600
    expired = mastodon_request(
        alice,
        algorithm="hs2019",
        headers=POST_HEADERS + " (expires)",
        params=f"expires={expires},",
        values={"(expires)": str(expires)},
    )
    refused(expired, alice.public_key(), "expired")


def test_unreadable_date_is_refused(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice, values={"date": "yesterday"})
    with pytest.raises(SignatureError) as caught:
        parse_signature(replace(request, date="yesterday"))
    assert caught.value.code == "bad_date"


def test_covered_header_missing_from_request_is_refused(alice: rsa.RSAPrivateKey) -> None:
    request = mastodon_request(alice, headers=POST_HEADERS + " x-absent", values={"x-absent": ""})
    with pytest.raises(SignatureError) as caught:
        parse_signature(request)
    assert caught.value.code == "missing_header"


# --- our signer -------------------------------------------------------------------------------


def test_signed_post_has_exactly_mastodons_shape(alice: rsa.RSAPrivateKey) -> None:
    added = sign_request_cavage(
        "POST", "https://mastodon.example/inbox", {"Content-Type": AP}, BODY, KEY_ID, alice, NOW
    )
    assert set(added) == {"Host", "Date", "Digest", "Signature"}
    assert added["Host"] == "mastodon.example"
    assert added["Date"] == "Mon, 02 Jun 2025 10:30:00 GMT"
    assert added["Digest"] == "SHA-256=" + b64(hashlib.sha256(BODY).digest())
    signature = added["Signature"]
    assert signature.startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{POST_HEADERS}",signature="'
    )
    # Check the bytes the way Mastodon does: rebuild the signed string and RSA-verify it.
    signed = (
        f"(request-target): post /inbox\nhost: mastodon.example\ndate: {added['Date']}\n"
        f"digest: {added['Digest']}\ncontent-type: {AP}"
    )
    raw = base64.b64decode(signature.split('signature="')[1].rstrip('"'))
    alice.public_key().verify(raw, signed.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_signed_get_covers_request_target_host_date_with_query(alice: rsa.RSAPrivateKey) -> None:
    url = "https://gts.example:8443/users/bob/outbox?page=true"
    added = sign_request_cavage("GET", url, None, None, KEY_ID, alice, NOW)
    assert set(added) == {"Host", "Date", "Signature"}
    assert added["Host"] == "gts.example:8443"
    request = SignedRequest("GET", url, added)
    parsed = parse_signature(request)
    assert parsed.components == ("(request-target)", "host", "date")
    assert parsed.base.startswith("(request-target): get /users/bob/outbox?page=true\n")
    verify_signature(parsed, request, alice.public_key(), NOW)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_sign_then_verify_round_trip(
    alice: rsa.RSAPrivateKey,
    mallory: rsa.RSAPrivateKey,
    ed_key: ed25519.Ed25519PrivateKey,
    method: str,
    kind: str,
) -> None:
    key: PrivateKey = alice if kind == "rsa" else ed_key
    other: PrivateKey = mallory if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
    body = BODY if method == "POST" else None
    headers = {"Content-Type": AP, "Accept": AP}
    added = sign_request_cavage(method, INBOX, headers, body, KEY_ID, key, NOW)
    request = SignedRequest(method, INBOX, {**headers, **added}, body or b"")
    parsed = parse_signature(request)
    assert parsed.algorithm == ("rsa-sha256" if kind == "rsa" else "hs2019")
    verify_signature(parsed, request, key.public_key(), NOW + timedelta(minutes=5))
    refused(request, other.public_key(), "bad_signature")


def test_signer_replaces_a_caller_host_header(alice: rsa.RSAPrivateKey) -> None:
    added = sign_request_cavage("GET", INBOX, {"host": "stale.example"}, None, KEY_ID, alice, NOW)
    assert added["Host"] == "se.smart.test"
    verify(SignedRequest("GET", INBOX, added), alice.public_key())


# --- Digest -----------------------------------------------------------------------------------


def test_digest_header_format_and_checks() -> None:
    assert digest_header(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    check_digest(digest_header(BODY).replace("SHA-256", "sha-256"), BODY)
    sha512 = "SHA-512=" + b64(hashlib.sha512(BODY).digest())
    check_digest(sha512, BODY)
    check_digest(f"{digest_header(BODY)}, {sha512}", BODY)
    check_digest(f"MD5=AAAA, {digest_header(BODY)}", BODY)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("MD5=" + b64(hashlib.md5(BODY).digest()), "digest_unsupported"),
        ("SHA=" + b64(hashlib.sha1(BODY).digest()), "digest_unsupported"),
        (
            f"SHA-256={b64(hashlib.sha256(BODY).digest())}, SHA-512=" + b64(b"x" * 64),
            "digest_mismatch",
        ),
        ("SHA-256=***", "bad_base64"),
        ("SHA-256", "malformed_digest"),
        ("", "malformed_digest"),
        ("SHA-256=" + "A" * 2000, "malformed_digest"),
    ],
)
def test_bad_digests_are_refused(header: str, code: str) -> None:
    with pytest.raises(SignatureError) as caught:
        check_digest(header, BODY)
    assert caught.value.code == code
