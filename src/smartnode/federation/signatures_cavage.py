"""draft-cavage-http-signatures-12 as Mastodon sends and checks it (pure: time passed in).

Interop: Mastodon signs `(request-target) host date digest content-type` on POST and
`(request-target) host date` on GET with `algorithm="rsa-sha256"`; it accepts `rsa-sha256` and
`hs2019` (the default when absent) and once signed `(request-target)` without the query string.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from smartnode.federation.digests import check_digest, digest_header
from smartnode.federation.signatures_core import (
    DEFAULT_MAX_SKEW,
    MAX_COMPONENTS,
    MAX_SIGNATURE_HEADER,
    ParsedSignature,
    PrivateKey,
    PublicKey,
    SignatureError,
    SignedRequest,
    authority_of,
    b64decode_strict,
    check_expires,
    check_time,
    sign_primitive,
    verify_primitive,
)

ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
PSEUDO_HEADERS = frozenset({"(request-target)", "(created)", "(expires)"})
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_MAX_PARAMS = 16


def parse_cavage(request: SignedRequest) -> ParsedSignature:
    """Read the `Signature` header and build the signature base; raise SignatureError."""
    header = request.headers.get("signature")
    if not header:
        raise SignatureError("missing_signature", "no Signature header")
    if len(header) > MAX_SIGNATURE_HEADER:
        raise SignatureError("header_too_large", "Signature header is longer than 8 KiB")
    params = parse_params(header)
    key_id = _key_id(params)
    algorithm = _algorithm(params.get("algorithm"))
    components = _components(params.get("headers"), algorithm)
    created = _timestamp(params, "created") if "(created)" in components else None
    expires = _timestamp(params, "expires") if "(expires)" in components else None
    if (created or expires) and algorithm not in (None, "hs2019"):
        raise SignatureError(
            "malformed_signature", f"(created)/(expires) cannot be used with {algorithm}"
        )
    signature = b64decode_strict(params.get("signature", ""), "signature")
    date = _date(request) if "date" in components else None
    base = _base(request, components, params, with_query=True)
    without = _base(request, components, params, with_query=False) if request.query else None
    return ParsedSignature(
        "cavage", key_id, algorithm, components, created, expires, date, signature, base, without
    )


def verify_cavage(
    parsed: ParsedSignature,
    request: SignedRequest,
    public_key: PublicKey,
    now: datetime,
    *,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> None:
    """Apply the coverage, digest, time and key rules, then check the signature."""
    _check_coverage(parsed.components, request)
    if "digest" in parsed.components:
        check_digest(request.headers["digest"], request.body)
    if parsed.created is not None:
        check_time("(created)", parsed.created, now, max_skew)
    if parsed.date is not None:
        check_time("Date", parsed.date, now, max_skew)
    check_expires(parsed.expires, now)
    if parsed.algorithm == "rsa-sha256" and not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("algorithm_mismatch", "rsa-sha256 claimed but the key is not RSA")
    if verify_primitive(public_key, parsed.signature, parsed.base.encode()):
        return
    alternate = parsed.base_without_query
    if alternate is not None and verify_primitive(public_key, parsed.signature, alternate.encode()):
        return
    raise SignatureError("bad_signature", f"signature does not verify with key {parsed.key_id}")


def sign_request_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
) -> dict[str, str]:
    """Headers to add (Host, Date, Digest on bodies, Signature), shaped as Mastodon sends them."""
    if '"' in key_id or "\\" in key_id:
        raise ValueError("key_id must not contain quotes or backslashes")
    added = {"Host": authority_of(url), "Date": format_datetime(now, usegmt=True)}
    covered = ["(request-target)", "host", "date"]
    has_body = bool(body) or method.upper() in {"POST", "PUT", "PATCH"}
    if has_body:
        added["Digest"] = digest_header(body or b"")
        covered.append("digest")
    names = {name.lower() for name in added}
    kept = {k: v for k, v in (headers or {}).items() if k.lower() not in names}
    request = SignedRequest(method, url, {**kept, **added}, body or b"")
    if has_body and "content-type" in request.headers:
        covered.append("content-type")
    base = _base(request, tuple(covered), {}, with_query=True)
    signature = base64.b64encode(sign_primitive(private_key, base.encode())).decode()
    algorithm = "rsa-sha256" if isinstance(private_key, rsa.RSAPrivateKey) else "hs2019"
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{signature}"'
    )
    return added


def parse_params(header: str) -> dict[str, str]:
    """Split `name="value",name=token` pairs with plain string scanning (no regex)."""
    params: dict[str, str] = {}
    at, end = 0, len(header)
    while True:
        while at < end and header[at] in " \t,":
            at += 1
        if at >= end:
            return params
        equals = header.find("=", at)
        name = header[at:equals].strip() if equals > 0 else ""
        if not name or not set(name) <= _TOKEN_CHARS:
            raise SignatureError("malformed_signature", "Signature parameters are malformed")
        value, at = _param_value(header, equals + 1)
        if name in params:
            raise SignatureError("duplicate_param", f"Signature parameter {name!r} appears twice")
        if len(params) >= _MAX_PARAMS:
            raise SignatureError("malformed_signature", "too many Signature parameters")
        params[name] = value
        while at < end and header[at] in " \t":
            at += 1
        if at < end and header[at] != ",":
            raise SignatureError("malformed_signature", f"unexpected text after {name!r}")


def _param_value(header: str, at: int) -> tuple[str, int]:
    if header[at : at + 1] != '"':
        comma = header.find(",", at)
        stop = len(header) if comma < 0 else comma
        return header[at:stop].strip(), stop
    close = header.find('"', at + 1)
    if close > 0 and "\\" not in header[at + 1 : close]:
        return header[at + 1 : close], close + 1
    chars: list[str] = []
    at += 1
    while at < len(header):
        char = header[at]
        if char == "\\" and at + 1 < len(header):
            chars.append(header[at + 1])
            at += 2
            continue
        if char == '"':
            return "".join(chars), at + 1
        chars.append(char)
        at += 1
    raise SignatureError("malformed_signature", "unterminated quoted Signature parameter")


def _key_id(params: dict[str, str]) -> str:
    key_id = params.get("keyId", "")
    if not key_id:
        raise SignatureError("missing_key_id", "Signature has no keyId")
    if key_id.lower().startswith("acct:"):
        raise SignatureError("acct_key_id", "acct: keyIds are refused; use the key's URI")
    return key_id


def _algorithm(claimed: str | None) -> str | None:
    if claimed is None:
        return None
    algorithm = claimed.lower()
    if algorithm in ACCEPTED_ALGORITHMS:
        return algorithm
    if algorithm.startswith("hmac") or "sha1" in algorithm or "sha-1" in algorithm:
        raise SignatureError("forbidden_algorithm", f"algorithm {claimed[:40]!r} is refused")
    raise SignatureError("unsupported_algorithm", f"algorithm {claimed[:40]!r} is not supported")


def _components(headers: str | None, algorithm: str | None) -> tuple[str, ...]:
    if headers is None:  # draft-12 default; Mastodon: "(created)" for hs2019, "date" otherwise
        headers = "date" if algorithm == "rsa-sha256" else "(created)"
    components = tuple(headers.lower().split())
    if not components or len(components) > MAX_COMPONENTS:
        raise SignatureError("malformed_signature", "Signature headers list is empty or too long")
    if len(set(components)) != len(components):
        raise SignatureError("malformed_signature", "Signature headers list repeats a name")
    for name in components:
        if name.startswith("(") and name not in PSEUDO_HEADERS:
            raise SignatureError("malformed_signature", f"unknown pseudo-header {name[:40]!r}")
    return components


def _timestamp(params: dict[str, str], name: str) -> datetime:
    raw = params.get(name)
    if raw is None:
        raise SignatureError(f"missing_{name}", f"({name}) is signed but {name}= is absent")
    if not raw.isdigit() or len(raw) > 12:
        raise SignatureError("malformed_signature", f"{name} parameter is not a Unix time")
    return datetime.fromtimestamp(int(raw), UTC)


def _date(request: SignedRequest) -> datetime:
    raw = request.headers.get("date")
    if raw is None:
        raise SignatureError("missing_header", "covered header 'date' is absent")
    try:
        parsed = parsedate_to_datetime(raw) if len(raw) <= 64 else None
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise SignatureError("bad_date", f"Date header {raw[:64]!r} is not an HTTP date")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _base(
    request: SignedRequest, components: tuple[str, ...], params: dict[str, str], *, with_query: bool
) -> str:
    lines = []
    for name in components:
        if name == "(request-target)":
            target = request.path + (f"?{request.query}" if with_query and request.query else "")
            lines.append(f"(request-target): {request.method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params[name[1:-1]]}")
        else:
            value = request.headers.get(name)
            if value is None:
                raise SignatureError("missing_header", f"covered header {name[:40]!r} is absent")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _check_coverage(components: tuple[str, ...], request: SignedRequest) -> None:
    covered = set(components)
    if "(request-target)" not in covered:
        raise SignatureError("missing_request_target", "(request-target) must be signed")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("missing_date", "Date or (created) must be signed")
    if request.method in ("GET", "HEAD") and "host" not in covered:
        raise SignatureError("missing_host", "Host must be signed on GET")
    if request.has_body and "digest" not in covered:
        raise SignatureError("missing_digest", "Digest must be signed on requests with a body")
