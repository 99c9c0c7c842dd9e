"""Body digests: `Digest` (RFC 3230, draft-cavage) and `Content-Digest` (RFC 9530). Pure.

Both accept SHA-256 and SHA-512, check every one of those offered, ignore other algorithms, and
refuse a header that offers only weak or unknown ones (MD5, SHA-1, ...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from smartnode.federation.signatures_core import SignatureError, b64decode_strict

MAX_DIGEST_HEADER = 1024

_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def digest_header(body: bytes) -> str:
    """`Digest` value as Mastodon sends it: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    """`Content-Digest` value (RFC 9530): `sha-256=:<base64>:`."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def check_digest(header: str, body: bytes) -> None:
    """Check a `Digest` header (`SHA-256=<b64>[, SHA-512=<b64>]`) against the body."""
    offered: list[tuple[str, str]] = []
    for member in _members(header, "Digest"):
        name, sep, value = member.partition("=")
        if not sep:
            raise SignatureError("malformed_digest", f"Digest member {member[:40]!r} has no '='")
        offered.append((name.strip().lower(), value.strip()))
    _compare(offered, body, "Digest")


def check_content_digest(header: str, body: bytes) -> None:
    """Check a `Content-Digest` header (`sha-256=:<b64>:[, sha-512=:<b64>:]`) against the body."""
    offered: list[tuple[str, str]] = []
    for member in _members(header, "Content-Digest"):
        name, sep, value = member.partition("=")
        value = value.strip()
        end = value.find(":", 1)
        if not sep or not value.startswith(":") or end < 0 or value[end + 1 :][:1] not in ("", ";"):
            raise SignatureError(
                "malformed_digest", f"Content-Digest member {member[:40]!r} is not key=:base64:"
            )
        offered.append((name.strip().lower(), value[1:end]))
    _compare(offered, body, "Content-Digest")


def _members(header: str, field: str) -> list[str]:
    if len(header) > MAX_DIGEST_HEADER:
        raise SignatureError("malformed_digest", f"{field} header is longer than 1 KiB")
    members = [part.strip() for part in header.split(",") if part.strip()]
    if not members:
        raise SignatureError("malformed_digest", f"{field} header is empty")
    return members


def _compare(offered: list[tuple[str, str]], body: bytes, field: str) -> None:
    checked = False
    for name, value in offered:
        hasher = _HASHES.get(name)
        if hasher is None:
            continue
        expected = b64decode_strict(value, f"{field} {name} value")
        if not hmac.compare_digest(expected, hasher(body).digest()):
            raise SignatureError("digest_mismatch", f"{field} {name} does not match the body")
        checked = True
    if not checked:
        names = ", ".join(name for name, _ in offered)
        raise SignatureError(
            "digest_unsupported", f"{field} offers only {names}; SHA-256 or SHA-512 is required"
        )
