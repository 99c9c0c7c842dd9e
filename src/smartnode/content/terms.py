"""What only some kinds of content carry (an event's times and place, a call's FEP-0837 terms),
as read from a remote document. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ANNOUNCEMENT = "announcement"
REPLY = "reply"
EVENT = "event"
CALL = "call"


@dataclass(frozen=True, slots=True)
class KindTerms:
    """The kind of a remote object and the facts stored in its row's columns and `extra`."""

    kind: str
    extra: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    closes_at: datetime | None = None


def parse_time(value: Any) -> datetime | None:
    """An xsd:dateTime as an aware UTC datetime, or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
