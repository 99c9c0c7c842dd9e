"""Who a notification comes from, and the one rule of whom a member does not hear from.

The sender is the actor its data names (an applicant, a follower, the author of a mention),
else the author of the call, event or post it is about (for a decision, also the author of the
direct message that told it). A notification from anyone the member blocks, or mutes with
notifications, is left out wherever it is read (the web pages, the native API, the Mastodon
API), as Mastodon does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, not_, or_
from sqlalchemy.orm import aliased

from smartnode.actors.hiding import hidden_senders
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application, Notification

#: Kinds whose sender is named in `data` (by this key).
SENDER_KEYS = {"application": "applicant", "withdrawal": "applicant", "event_join": "actor",
               "team_join": "actor", "follow": "actor", "mention": "actor",
               "reply": "actor"}  # fmt: skip
#: Kinds whose status is the call or event named in `data` (by this key).
ABOUT_KEYS = {"application": "call", "withdrawal": "call", "decision": "call",
              "event_join": "event", "event_participation": "event"}  # fmt: skip
#: Kinds whose notification is about the object itself (its `object_uri`).
ITSELF = ("call_match", "mention", "reply")
#: The kind whose status may be the direct message that told it (its application's decision).
DECISION = "decision"


def _named(data: dict[str, Any], key: str | None) -> str | None:
    value = data.get(key) if key else None
    return value if isinstance(value, str) and value else None


def sender_uri(row: Notification) -> str | None:
    """The URI of the actor a notification's data names as its sender."""
    return _named(row.data, SENDER_KEYS.get(row.kind))


def about_uri(row: Notification) -> str | None:
    """The URI of the call, event or post a notification is about."""
    if row.kind in ITSELF:
        return row.object_uri
    return _named(row.data, ABOUT_KEYS.get(row.kind))


def _sender_column() -> ColumnElement[Any]:
    """`sender_uri` in SQL."""
    return case(
        *((Notification.kind == kind, Notification.data[key].as_string())
          for kind, key in SENDER_KEYS.items()),
        else_=None,
    )  # fmt: skip


def _about_column() -> ColumnElement[Any]:
    """`about_uri` in SQL."""
    return case(
        (Notification.kind.in_(ITSELF), Notification.object_uri),
        *((Notification.kind == kind, Notification.data[key].as_string())
          for kind, key in ABOUT_KEYS.items()),
        else_=None,
    )  # fmt: skip


def heard_by(member_id: int, now: datetime) -> ColumnElement[bool]:
    """The notifications (of a query over Notification) whose sender is none the member
    blocks or mutes with notifications (at `now`)."""
    silenced = hidden_senders(member_id, now)
    message = aliased(ContentObject)
    return not_(
        or_(
            exists().where(Actor.uri == _sender_column(), Actor.id.in_(silenced)),
            exists().where(Notification.kind.not_in(tuple(SENDER_KEYS)),
                           ContentObject.uri == _about_column(),
                           ContentObject.actor_id.in_(silenced)),
            exists().where(Notification.kind == DECISION,
                           Application.uri == Notification.object_uri,
                           message.uri == Application.decision_uri,
                           message.actor_id.in_(silenced)),
        )
    )  # fmt: skip
