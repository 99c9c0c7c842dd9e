"""ASCII usernames and slugs, as Mastodon requires (`Malmö Opera 2027` → `malmo-opera-2027`)."""

from __future__ import annotations

import re
import unicodedata

from smartnode.errors import ValidationFailed

#: Mastodon's USERNAME_RE: letters, digits, underscore; dots and hyphens only inside.
USERNAME_RE = re.compile(r"^[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*$")
MAX_USERNAME = 30
MAX_SLUG = 60
RESERVED = frozenset(
    {
        "actor", "admin", "administrator", "api", "about", "inbox", "outbox", "instance",
        "node", "nodeinfo", "members", "projects", "calls", "events", "notes", "activities",
        "tags", "search", "settings", "static", "support", "root", "system", "webfinger",
        "well-known", "www", "smart", "smartnode", "relay", "postmaster", "abuse", "security",
    }
)  # fmt: skip

_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "ł": "l",
     "Ł": "l", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "ı": "i"}
)  # fmt: skip


def to_ascii(text: str) -> str:
    """Transliterate to ASCII: strip accents, spell out ß/æ/ø/œ/ł and friends."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return decomposed.encode("ascii", "ignore").decode()


def slugify(text: str, *, max_length: int = MAX_SLUG) -> str:
    """A project slug from a free name: lower-case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", to_ascii(text).lower())
    slug = "-".join(words)[:max_length].strip("-")
    if not slug:
        raise ValidationFailed(f"cannot make an ASCII slug from {text!r}")
    return slug


def check_username(value: str, *, max_length: int = MAX_USERNAME, what: str = "username") -> str:
    """Validate a username or slug (lower-cased); ValidationFailed says why not."""
    name = value.strip().lower()
    if not name:
        raise ValidationFailed(f"{what} must not be empty")
    if len(name) > max_length:
        raise ValidationFailed(f"{what} must be at most {max_length} characters")
    if not USERNAME_RE.match(name):
        raise ValidationFailed(
            f"{what} {value!r} may use only a-z, 0-9 and _, with . or - between them"
        )
    if name in RESERVED:
        raise ValidationFailed(f"{what} {name!r} is reserved")
    return name
