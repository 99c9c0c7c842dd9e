"""The acting principal: who asks for an action, handed to every use case (DESIGN.md rule 10).

Routes, pages, the Mastodon API and the CLI only build a principal; the use case decides.
Scopes follow Mastodon's (`read`, `write`, `follow`, `push`, `profile` and their granular
forms such as `write:statuses`) plus the cooperative's own granular forms (`write:projects`,
`write:calls`, `write:applications`, `read:applications`, `write:events`), which `read` and
`write` include as Mastodon's umbrellas include theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from smartnode.errors import Forbidden, Unauthorized

PrincipalKind = Literal["anonymous", "member", "admin", "app"]

#: `follow` is Mastodon's older umbrella for these granular scopes.
FOLLOW_SCOPES = frozenset(
    {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}
)
MASTODON_GRANULAR = frozenset(
    {
        *(f"read:{n}" for n in ("accounts", "blocks", "bookmarks", "favourites", "filters",
                                "follows", "lists", "mutes", "notifications", "search",
                                "statuses")),
        *(f"write:{n}" for n in ("accounts", "blocks", "bookmarks", "conversations",
                                 "favourites", "filters", "follows", "lists", "media", "mutes",
                                 "notifications", "reports", "statuses")),
    }
)  # fmt: skip
COOP_GRANULAR = frozenset(
    {"write:projects", "write:calls", "write:applications", "read:applications", "write:events"}
)
UMBRELLAS = frozenset({"read", "write", "follow", "push", "profile"})
KNOWN_SCOPES = UMBRELLAS | MASTODON_GRANULAR | COOP_GRANULAR
#: Everything a member can do with their own session or member token.
ALL_SCOPES = KNOWN_SCOPES


def parse_scopes(text: str | None, *, default: str = "read") -> frozenset[str]:
    """Scopes from a space-separated string (empty: `default`); unknown ones are refused."""
    names = frozenset((text or "").split()) or frozenset(default.split())
    unknown = sorted(names - KNOWN_SCOPES)
    if unknown:
        raise UnknownScope(unknown)
    return names


class UnknownScope(ValueError):
    """A scope this node does not know (OAuth answers `invalid_scope`)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"unknown scope: {' '.join(names)}")
        self.names = names


def covers(granted: frozenset[str], wanted: str) -> bool:
    """Whether the granted scopes include `wanted` (umbrellas include their granular forms)."""
    if wanted in granted:
        return True
    umbrella, _, part = wanted.partition(":")
    if part and umbrella in granted:
        return True
    return wanted in FOLLOW_SCOPES and "follow" in granted


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts: nobody signed in, a member (session or member token), an admin (CLI-made
    token, optionally acting for a member) or an app holding a member's grant with scopes."""

    kind: PrincipalKind
    actor_id: int | None = None  # the member acted for (None: anonymous, or admin alone)
    scopes: frozenset[str] = field(default=ALL_SCOPES)
    client_id: int | None = None  # the app, for kind "app"

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def allows(self, scope: str) -> bool:
        """Whether this principal's grant covers `scope` (members and admins: everything)."""
        if self.kind == "anonymous":
            return False
        if self.kind == "app" or self.scopes != ALL_SCOPES:  # an app, or a member's scoped token
            return covers(self.scopes, scope)
        return True

    def member_id(self, scope: str) -> int:
        """The member acted for, when the grant covers `scope`; else Unauthorized/Forbidden."""
        if self.kind == "anonymous":
            raise Unauthorized("sign in first")
        if not self.allows(scope):
            raise Forbidden(f"this app or token was not granted the {scope!r} scope")
        if self.actor_id is None:
            raise Forbidden("this acts for no member (an admin token needs ?as=<username>)")
        return self.actor_id


ANONYMOUS = Principal(kind="anonymous", scopes=frozenset())


def member(actor_id: int, scopes: frozenset[str] = ALL_SCOPES) -> Principal:
    """A member acting through their own session or member token (a personal token may be
    limited to some scopes)."""
    return Principal(kind="member", actor_id=actor_id, scopes=scopes)


def admin(actor_id: int | None = None) -> Principal:
    """An admin token, alone or acting for a member."""
    return Principal(kind="admin", actor_id=actor_id)


def app(actor_id: int, client_id: int, scopes: frozenset[str]) -> Principal:
    """An app acting for a member with the scopes the member granted."""
    return Principal(kind="app", actor_id=actor_id, scopes=scopes, client_id=client_id)
