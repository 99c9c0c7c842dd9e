"""Shared pieces of HTTP signature handling: the request view, the parsed signature, the error,
key loading and the key-type-picked primitive (pure: no I/O, time passed in as `now`).

Failure codes carried by SignatureError.code (the message says why, for logs and the 401 body):
missing_signature, header_too_large, malformed_signature, duplicate_param, duplicate_label,
unknown_parameter, missing_key_id, acct_key_id, forbidden_algorithm, unsupported_algorithm,
algorithm_mismatch, missing_request_target, missing_method, missing_target_uri, missing_query,
missing_host, missing_date, missing_created, missing_digest, missing_header, bad_date,
date_too_old, date_in_future, expired, digest_mismatch, digest_unsupported, malformed_digest,
bad_base64, bad_key, weak_key, unsupported_key, bad_signature.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from smartnode.errors import Unauthorized

MIN_RSA_BITS = 2048
MAX_SIGNATURE_HEADER = 8 * 1024
MAX_COMPONENTS = 32
DEFAULT_MAX_SKEW = timedelta(hours=1)
# An explicit expiry gets a little slack for clock drift between servers.
EXPIRES_LEEWAY = timedelta(minutes=5)

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
Scheme = Literal["cavage", "rfc9421"]


class SignatureError(Unauthorized):
    """A signature we cannot trust: `code` is short and stable, the message says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"SignatureError({self.code!r}, {self.reason!r})"


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive header view; repeated fields are joined with ", " as HTTP
    does, and values are trimmed of surrounding whitespace."""

    __slots__ = ("_fields",)

    def __init__(self, source: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        fields: dict[str, tuple[str, str]] = {}
        pairs = source.items() if isinstance(source, Mapping) else source
        for name, raw in pairs:
            key, value = name.lower(), raw.strip(" \t")
            if key in fields:
                first, joined = fields[key]
                fields[key] = (first, f"{joined}, {value}")
            else:
                fields[key] = (name, value)
        self._fields = fields

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return (first for first, _ in self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True, eq=False)
class SignedRequest:
    """What a signature covers: method, the absolute URL as sent (raw path and query), headers
    and the body bytes. Used by the inbox edge and by the outgoing signer alike."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    _parts: tuple[str, str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if not isinstance(self.headers, Headers):
            object.__setattr__(self, "headers", Headers(self.headers))
        split = urlsplit(self.url)
        object.__setattr__(self, "_parts", (split.netloc, split.path or "/", split.query))

    @classmethod
    def from_pairs(
        cls, method: str, url: str, pairs: Iterable[tuple[str, str]], body: bytes = b""
    ) -> SignedRequest:
        """Build from raw (name, value) pairs, keeping repeated fields (Starlette's items())."""
        return cls(method, url, Headers(pairs), body)

    @property
    def path(self) -> str:
        """The raw path, "/" when empty."""
        return self._parts[1]

    @property
    def query(self) -> str:
        """The raw query string without "?" ("" when absent)."""
        return self._parts[2]

    @property
    def has_body(self) -> bool:
        """True for POST/PUT/PATCH or any request carrying bytes: these need a digest."""
        return bool(self.body) or self.method in {"POST", "PUT", "PATCH"}


@dataclass(frozen=True)
class ParsedSignature:
    """A signature read from a request, not yet verified: find the key by `key_id`, then verify."""

    scheme: Scheme
    key_id: str
    algorithm: str | None
    components: tuple[str, ...]
    created: datetime | None
    expires: datetime | None
    date: datetime | None
    signature: bytes
    base: str
    # Interop: Mastodon and GoToSocial once signed (request-target) without the query string.
    base_without_query: str | None = None
    label: str | None = None


def b64decode_strict(value: str, what: str) -> bytes:
    """Decode standard base64 with padding; anything else is `bad_base64`."""
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise SignatureError("bad_base64", f"{what} is not valid base64") from None
    if not decoded:
        raise SignatureError("bad_base64", f"{what} is empty")
    return decoded


def load_public_key_pem(pem: str | bytes) -> PublicKey:
    """Parse a PEM public key (SPKI or PKCS#1); refuse RSA under 2048 bits and other key types."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("bad_key", "public key is not a readable PEM key") from None
    return check_public_key(key)


def check_public_key(key: object) -> PublicKey:
    """Accept only RSA ≥ 2048 bits and Ed25519 key objects."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise SignatureError(
                "weak_key", f"RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} required"
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise SignatureError("unsupported_key", f"key type {type(key).__name__} is not RSA or Ed25519")


def verify_primitive(
    key: PublicKey, signature: bytes, base: bytes, *, rsa_pss_sha512: bool = False
) -> bool:
    """Check `signature` over `base` with the primitive the KEY TYPE picks; False if it fails."""
    key = check_public_key(key)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if rsa_pss_sha512:
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
                key.verify(signature, base, pss, hashes.SHA512())
            else:
                key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, base)
    except InvalidSignature:
        return False
    return True


def sign_primitive(key: PrivateKey, base: bytes) -> bytes:
    """Sign with RSA PKCS#1 v1.5 + SHA-256 or Ed25519, by key type."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(base)


def check_time(what: str, at: datetime, now: datetime, max_skew: timedelta) -> None:
    """Refuse a time further than `max_skew` from `now`, in either direction."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    age = now - at
    if age > max_skew:
        minutes = int(age.total_seconds() // 60)
        raise SignatureError("date_too_old", f"{what} is {minutes} minutes old (limit {max_skew})")
    if -age > max_skew:
        minutes = int(-age.total_seconds() // 60)
        raise SignatureError(
            "date_in_future", f"{what} is {minutes} minutes in the future (limit {max_skew})"
        )


def check_expires(expires: datetime | None, now: datetime) -> None:
    """Refuse a signature whose signed expiry has passed (with a small leeway)."""
    if expires is not None and now > expires + EXPIRES_LEEWAY:
        raise SignatureError("expired", f"signature expired at {expires.isoformat()}")


def authority_of(url: str) -> str:
    """Host[:port] of an absolute URL, lowercase, without userinfo or a default port."""
    split = urlsplit(url)
    host = (split.hostname or "").lower()
    if not host:
        raise ValueError(f"not an absolute URL: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(split.scheme.lower())
    return host if split.port in (None, default) else f"{host}:{split.port}"
