"""Helpers for the Mastodon client API's tests: tokens with scopes, and the type checks of
Mastodon's entities (every field present, with its JSON type)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from smartnode.accounts.tokens import create_token
from smartnode.storage.db import Database
from smartnode.storage.models import Actor

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STR, BOOL, INT, LIST, DICT, NONE = str, bool, int, list, dict, type(None)

ACCOUNT: dict[str, Any] = {
    "id": STR, "username": STR, "acct": STR, "display_name": STR, "locked": BOOL, "bot": BOOL,
    "discoverable": BOOL, "indexable": BOOL, "group": BOOL, "created_at": STR, "note": STR,
    "url": STR, "uri": STR, "avatar": STR, "avatar_static": STR, "header": STR,
    "header_static": STR, "followers_count": INT, "following_count": INT,
    "statuses_count": INT, "last_status_at": (STR, NONE), "hide_collections": BOOL,
    "emojis": LIST, "roles": LIST, "fields": LIST,
}  # fmt: skip
STATUS: dict[str, Any] = {
    "id": STR, "created_at": STR, "in_reply_to_id": (STR, NONE),
    "in_reply_to_account_id": (STR, NONE), "sensitive": BOOL, "spoiler_text": STR,
    "visibility": STR, "language": (STR, NONE), "uri": STR, "url": STR, "replies_count": INT,
    "reblogs_count": INT, "favourites_count": INT, "edited_at": (STR, NONE), "content": STR,
    "reblog": NONE, "application": (DICT, NONE), "account": DICT, "media_attachments": LIST,
    "mentions": LIST, "tags": LIST, "emojis": LIST, "card": (DICT, NONE), "poll": (DICT, NONE),
}  # fmt: skip
#: Added when a member reads.
VIEWER: dict[str, Any] = {"favourited": BOOL, "reblogged": BOOL, "muted": BOOL,
                          "bookmarked": BOOL, "filtered": LIST}  # fmt: skip
RELATIONSHIP: dict[str, Any] = {
    "id": STR, "following": BOOL, "showing_reblogs": BOOL, "notifying": BOOL,
    "followed_by": BOOL, "blocking": BOOL, "blocked_by": BOOL, "muting": BOOL,
    "muting_notifications": BOOL, "requested": BOOL, "requested_by": BOOL,
    "domain_blocking": BOOL, "endorsed": BOOL, "note": STR,
}  # fmt: skip


def assert_shape(entity: dict[str, Any], shape: dict[str, Any]) -> None:
    """Every field of `shape` is in `entity`, of its type (bool is not taken for int)."""
    for name, kind in shape.items():
        assert name in entity, name
        kinds = kind if isinstance(kind, tuple) else (kind,)
        value = entity[name]
        assert isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds), (
            name,
            value,
        )


def assert_account(entity: dict[str, Any]) -> None:
    assert_shape(entity, ACCOUNT)
    assert TIME.match(entity["created_at"]), entity["created_at"]
    assert entity["id"].isdigit()


def assert_status(entity: dict[str, Any], *, viewer: bool = False) -> None:
    assert_shape(entity, STATUS)
    if viewer:
        assert_shape(entity, VIEWER)
    assert TIME.match(entity["created_at"]), entity["created_at"]
    assert entity["visibility"] in ("public", "unlisted", "private", "direct")
    assert_account(entity["account"])


async def bearer(db: Database, member: Actor, scopes: str | None = None) -> dict[str, str]:
    """Arrange: a member's personal token (limited to `scopes` when given), as a header."""
    async with db.session() as s, s.begin():
        token = await create_token(
            s, label="app", now=datetime.now(UTC), actor_id=member.id, scopes=scopes
        )
    return {"Authorization": f"Bearer {token}"}
