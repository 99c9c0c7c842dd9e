"""Arrange threads for the replies, context and page tests: posts through the posts API,
remote replies through the inbox (signed remote actors faked at the transport)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from smartnode.config import Settings
from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.db import Database
from tests.content import activity, remote_note
from tests.inbox import Fediverse, receive

ALICE = "https://mastodon.example/users/alice"
MALLORY = "https://evil.example/users/mallory"
ALICE_KEY, ALICE_PUBLIC = generate_rsa_keypair()
MALLORY_KEY, MALLORY_PUBLIC = generate_rsa_keypair()
AP = {"Accept": "application/activity+json"}
HTML = {"Accept": "text/html"}
#: Addressing of a remote reply by alice, by visibility (as Mastodon addresses it).
ADDRESSING = {
    "public": {"to": [PUBLIC], "cc": [f"{ALICE}/followers"]},
    "unlisted": {"to": [f"{ALICE}/followers"], "cc": [PUBLIC]},
    "followers": {"to": [f"{ALICE}/followers"], "cc": []},
}


def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, pem=ALICE_PUBLIC, name="Alice Martin")
    fediverse.actor(MALLORY, pem=MALLORY_PUBLIC)
    return fediverse


def signed(url: str, actor: str = ALICE) -> dict[str, str]:
    """Headers of a GET of `url` signed by `actor` (alice or mallory)."""
    key = ALICE_KEY if actor == ALICE else MALLORY_KEY
    added = sign_request_cavage(
        "GET", url, AP, None, f"{actor}#main-key", load_private_key(key), datetime.now(UTC)
    )
    return {**AP, **added}


async def post(api: httpx.AsyncClient, headers: dict[str, str], username: str, **body: Any) -> Any:
    """A post through the posts API; its JSON."""
    response = await api.post(f"/api/smart/v1/actors/{username}/posts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def remote_reply(
    db: Database,
    settings: Settings,
    fediverse: Fediverse,
    number: int,
    parent: str,
    *,
    visibility: str = "public",
    **fields: Any,
) -> str:
    """Alice's reply `number` to `parent`, received through the inbox; its id."""
    note_id = f"{ALICE}/statuses/{number}"
    addressing = {"to": [], "cc": [], **ADDRESSING.get(visibility, {})}
    addressing.update({k: fields.pop(k) for k in ("to", "cc") if k in fields})
    note = remote_note(
        note_id, ALICE, inReplyTo=parent, content=f"<p>Reply {number}</p>",
        published=f"2026-11-26T10:{number:02d}:00Z", url=f"https://mastodon.example/@alice/{number}",
        **addressing, **fields,
    )  # fmt: skip
    outcome = await receive(db, settings, fediverse, activity("Create", ALICE, note))
    assert outcome.status == "processed", outcome.reason
    return note_id
