"""RFC 9421 HTTP Message Signatures with RFC 9530 Content-Digest (pure: time passed in).

The pinned `http-message-signatures` library builds the signature base and signs; its Structured
Field parser (`http-sf`) reads the headers, refusing duplicate labels and parameters. The
library's HTTPMessageVerifier is not used: it resolves the key itself and reads the wall clock,
while the inbox parses first, fetches the key (async, elsewhere), then verifies against `now`.
So the policy (coverage, digest, time, key type) and the primitive the key type picks are ours;
`_build_signature_base` is a protected helper of the pinned 3.0.0 release, and the RFC 9421
vectors in the tests pin its behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPSignatureKeyResolver,
)
from http_message_signatures.algorithms import ED25519, RSA_V1_5_SHA256
from http_message_signatures.signatures import HTTPSignatureHandler
from http_sf.compat import InnerList, Item

from smartnode.federation.digests import check_content_digest
from smartnode.federation.signatures_core import (
    DEFAULT_MAX_SKEW,
    MAX_COMPONENTS,
    MAX_SIGNATURE_HEADER,
    Headers,
    ParsedSignature,
    PrivateKey,
    PublicKey,
    SignatureError,
    SignedRequest,
    check_expires,
    check_time,
    verify_primitive,
)

ACCEPTED_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})
KNOWN_PARAMETERS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})
DEFAULT_LABEL = "sig1"
_BASE_BUILDER = HTTPSignatureHandler(signature_algorithm=ED25519, key_resolver=None)


def parse_rfc9421(request: SignedRequest, *, label: str | None = None) -> ParsedSignature:
    """Read Signature-Input/Signature (first label unless one is named); build the base."""
    inputs = _dictionary(request, "Signature-Input")
    signatures = _dictionary(request, "Signature")
    label = next(iter(inputs), "") if label is None else label
    node, value = inputs.get(label), signatures.get(label)
    if not isinstance(node, InnerList) or len(node) > MAX_COMPONENTS:
        raise SignatureError("malformed_signature", f"Signature-Input has no usable {label!r}")
    if not isinstance(value, Item) or not isinstance(value.value, bytes) or not value.value:
        raise SignatureError("malformed_signature", f"Signature has no byte sequence {label!r}")
    params = dict(node.params)
    unknown = set(params) - KNOWN_PARAMETERS
    if unknown:
        raise SignatureError("unknown_parameter", f"unknown signature parameter {min(unknown)!r}")
    key_id = _key_id(params.get("keyid"))
    algorithm = _algorithm(params.get("alg"))
    created = _time(params, "created")
    if created is None:
        raise SignatureError("missing_created", "signature has no created parameter")
    components = tuple(_component_name(item) for item in node)
    base = _build_base(request, node)
    return ParsedSignature(
        "rfc9421",
        key_id,
        algorithm,
        components,
        created,
        _time(params, "expires"),
        None,
        value.value,
        base,
        None,
        label,
    )


def verify_rfc9421(
    parsed: ParsedSignature,
    request: SignedRequest,
    public_key: PublicKey,
    now: datetime,
    *,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Apply the coverage, digest, time and key rules, then check the signature."""
    _check_coverage(parsed.components, request)
    if "content-digest" in parsed.components:
        check_content_digest(request.headers["content-digest"], request.body)
    if parsed.created is not None:
        check_time("created", parsed.created, now, max_skew)
    check_expires(parsed.expires, now)
    algorithm = parsed.algorithm
    if algorithm in ("rsa-v1_5-sha256", "rsa-pss-sha512") and not isinstance(
        public_key, rsa.RSAPublicKey
    ):
        raise SignatureError("algorithm_mismatch", f"{algorithm} claimed but the key is not RSA")
    if algorithm == "ed25519" and not isinstance(public_key, ed25519.Ed25519PublicKey):
        raise SignatureError("algorithm_mismatch", "ed25519 claimed but the key is not Ed25519")
    pss = algorithm == "rsa-pss-sha512"
    if not verify_primitive(public_key, parsed.signature, parsed.base.encode(), rsa_pss_sha512=pss):
        raise SignatureError("bad_signature", f"signature does not verify with key {parsed.key_id}")


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    *,
    label: str = DEFAULT_LABEL,
) -> dict[str, str]:
    """Headers to add: Signature-Input, Signature and, on bodies, Content-Digest."""
    message = _OutgoingMessage(method.upper(), url, dict(headers or {}))
    before = dict(message.headers)
    has_body = bool(body) or message.method in {"POST", "PUT", "PATCH"}
    covered = ["@method", "@target-uri"]
    if has_body and "content-type" in Headers(message.headers):
        covered.append("content-type")
    algorithm = RSA_V1_5_SHA256 if isinstance(private_key, rsa.RSAPrivateKey) else ED25519
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=_OneKey(private_key))
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label=label,
        covered_component_ids=covered,
        body=(body or b"") if has_body else None,
        use_existing_digest="content-digest" in Headers(before),
    )
    return {name: value for name, value in message.headers.items() if before.get(name) != value}


@dataclass
class _OutgoingMessage:
    method: str
    url: str
    headers: dict[str, str]


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, private_key: PrivateKey) -> None:
        self.private_key = private_key

    def resolve_private_key(self, key_id: str) -> PrivateKey:
        return self.private_key


def _dictionary(request: SignedRequest, field: str) -> dict[str, Any]:
    raw = request.headers.get(field)
    if not raw:
        raise SignatureError("missing_signature", f"no {field} header")
    if len(raw) > MAX_SIGNATURE_HEADER:
        raise SignatureError("header_too_large", f"{field} header is longer than 8 KiB")
    try:
        parsed: Any = http_sf.parse(raw.encode(), tltype="dictionary", on_duplicate_key=_duplicate)
    except (ValueError, TypeError, UnicodeError):
        raise SignatureError("malformed_signature", f"{field} is not a Structured Field") from None
    if not isinstance(parsed, dict) or not parsed:
        raise SignatureError("malformed_signature", f"{field} is empty")
    return {label: _compat(member, params) for label, (member, params) in parsed.items()}


def _duplicate(name: str, context: str) -> None:
    # Structured Fields keep the last duplicate; a signature header with two of anything is
    # ambiguous between parsers, so it is refused.
    code = "duplicate_label" if context == "dictionary" else "duplicate_param"
    raise SignatureError(code, f"{name[:40]!r} appears twice in a signature header")


def _compat(member: Any, params: dict[str, Any]) -> Item | InnerList:
    """The library's base builder takes http_sf.compat objects (as its own parser makes them)."""
    node: Item | InnerList
    if isinstance(member, list):
        node = InnerList()
        for value, item_params in member:
            item = Item(value)
            item.params.update(item_params)
            node.append(item)
    else:
        node = Item(member)
    node.params.update(params)
    return node


def _key_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise SignatureError("missing_key_id", "signature has no keyid")
    if value.lower().startswith("acct:"):
        raise SignatureError("acct_key_id", "acct: keyids are refused; use the key's URI")
    return value


def _algorithm(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SignatureError("malformed_signature", "alg is not a string")
    if value in ACCEPTED_ALGORITHMS:
        return value
    if value.startswith("hmac") or "sha1" in value:
        raise SignatureError("forbidden_algorithm", f"algorithm {value[:40]!r} is refused")
    raise SignatureError("unsupported_algorithm", f"algorithm {value[:40]!r} is not supported")


def _time(params: dict[str, Any], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise SignatureError("malformed_signature", f"{name} is not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("malformed_signature", f"{name} is out of range") from None


def _component_name(item: Any) -> str:
    if not isinstance(item, Item) or not isinstance(item.value, str):
        raise SignatureError("malformed_signature", "a covered component is not a string")
    return item.value if not item.params else str(item)


def _build_base(request: SignedRequest, node: InnerList) -> str:
    try:
        base, _, _ = _BASE_BUILDER._build_signature_base(
            request, covered_component_ids=list(node), signature_params=node.params
        )
    except HTTPMessageSignaturesException as error:
        reason = str(error)
        code = "missing_header" if "not found" in reason else "malformed_signature"
        raise SignatureError(code, reason) from None
    return str(base)


def _check_coverage(components: tuple[str, ...], request: SignedRequest) -> None:
    covered = set(components)
    if "@method" not in covered:
        raise SignatureError("missing_method", "@method must be signed")
    if "@target-uri" not in covered:
        if not {"@authority", "@path"} <= covered:
            raise SignatureError("missing_target_uri", "@target-uri (or @authority and @path)")
        if request.query and "@query" not in covered:
            raise SignatureError("missing_query", "@query must be signed when there is a query")
    if request.has_body and "content-digest" not in covered:
        raise SignatureError("missing_digest", "Content-Digest must be signed with a body")
