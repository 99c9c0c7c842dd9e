"""Transactional outbox: record an activity and its fan-out job in the caller's transaction.

The activity is added to the session and its job is written just before the transaction
commits, with those of every other activity published in it: one INSERT for the lot, and no
flush of its own per activity (`storage/commit_jobs.py`).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import AS_CONTEXT, PUBLIC
from smartnode.storage.commit_jobs import job_at_commit
from smartnode.storage.models import Activity, Actor

FANOUT = "fanout"


def new_token(now: datetime) -> str:
    """A time-ordered, unguessable id for a new object or activity."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(8)}"


def audience(document: dict[str, Any]) -> list[str]:
    """Every IRI in to/cc/bto/bcc/audience, in order, without duplicates."""
    found: list[str] = []
    for key in ("to", "cc", "bto", "bcc", "audience"):
        value = document.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            iri = item.get("id") if isinstance(item, dict) else item
            if isinstance(iri, str) and iri not in found:
                found.append(iri)
    return found


def is_public(document: dict[str, Any]) -> bool:
    return any(iri in (PUBLIC, "as:Public", "Public") for iri in audience(document))


async def publish(
    session: AsyncSession,
    uris: NodeUris,
    actor: Actor,
    activity_type: str,
    *,
    obj: Any,
    to: list[str],
    cc: list[str] | None = None,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Activity:
    """Add an activity by `actor` and its fan-out job; the caller commits (or rolls back) both.
    The activity's id is set when the session next flushes."""
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": uris.activity(new_token(now)),
        "type": activity_type,
        "actor": actor.uri,
        "object": obj,
        "to": to,
        **({"cc": cc} if cc else {}),
        "published": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(extra or {}),
    }
    object_uri = obj.get("id") if isinstance(obj, dict) else obj
    activity = Activity(
        uri=document["id"],
        actor_id=actor.id,
        activity_type=activity_type,
        object_uri=object_uri if isinstance(object_uri, str) else None,
        document=document,
        public=is_public(document),
        created_at=now,
    )
    session.add(activity)
    job_at_commit(session, FANOUT, activity, "activity_id", now)
    return activity
