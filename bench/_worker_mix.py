"""The activity mix of bench/worker.py: what a national node's inbox gets on a busy day.

Per 100 activities (the order is shuffled with a fixed seed):

| share | activity | concerns this node? |
|---:|---|---|
| 55 | Create{Note}, public, by an actor nobody here follows | no |
| 20 | Announce of a remote post (by URI) by an actor nobody here follows | no |
| 5 | Delete{Tombstone} of a post we never had | no (a marker row) |
| 5 | Follow of a local member | yes: stored, Accept published and delivered |
| 5 | Create{Note} replying to a local call or event, mentioning its author | yes: stored |
| 5 | Like of a local call or event | yes: counted |
| 5 | Create of an open call (FEP-0837) by a followed remote project | yes: stored, matched |

Every activity is signed by its own actor (draft-cavage, as Mastodon signs) and POSTed to the
shared inbox.
"""

from __future__ import annotations

import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bench._inbox_setup import PUBLIC, RemoteActor, create_note, raw_post, signing_key

SHARES = (("note", 55), ("announce", 20), ("delete", 5), ("follow", 5), ("reply", 5),
          ("like", 5), ("call", 5))  # fmt: skip
RELEVANT = frozenset({"follow", "reply", "like", "call"})
ESCO_PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"


@dataclass(frozen=True, slots=True)
class Local:
    """What the mix needs of the node: its members' ids and its public calls and events."""

    members: list[str]
    objects: list[tuple[str, str]]  # (object id, its author's id)


def kinds(count: int, seed: int = 7) -> list[str]:
    """`count` activity kinds in the shares above, shuffled."""
    pool = [kind for kind, share in SHARES for _ in range(share)]
    chosen = [pool[n % len(pool)] for n in range(count)]
    random.Random(seed).shuffle(chosen)
    return chosen


def _announce(actor: str, n: int, other: str, published: str) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/statuses/{n}/activity", "type": "Announce", "actor": actor,
            "published": published, "to": [PUBLIC], "cc": [f"{actor}/followers"],
            "object": f"{other}/statuses/{n + 1_000_000}"}  # fmt: skip


def _delete(actor: str, n: int) -> dict[str, Any]:
    status = f"{actor}/statuses/{n}"
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{status}#delete",
            "type": "Delete", "actor": actor, "to": [PUBLIC],
            "object": {"id": status, "type": "Tombstone"}}  # fmt: skip


def _reply(actor: str, n: int, parent: tuple[str, str], published: str) -> dict[str, Any]:
    create = create_note(actor, n, published)
    note = create["object"]
    note["inReplyTo"] = parent[0]
    note["cc"] = [f"{actor}/followers", parent[1]]
    note["tag"] = [{"type": "Mention", "href": parent[1], "name": "@author"}]
    create["cc"] = note["cc"]
    return create


def _call(project: str, n: int, published: str) -> dict[str, Any]:
    call = f"{project}/calls/{n}"
    deadline = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = {
        "id": call, "type": "Note", "attributedTo": project, "name": f"Stagehands {n}",
        "content": f"<p><strong>Stagehands {n}</strong></p><p>For Tosca, five days.</p>",
        "published": published, "to": [PUBLIC], "cc": [f"{project}/followers"],
        "purpose": "request",
        "publishes": {"id": f"{call}#primary", "type": "Intent", "action": "deliverService",
                      "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "5"}},
        "tag": [{"type": "DefinedTerm", "id": ESCO_PERFORM, "url": ESCO_PERFORM,
                 "name": "perform"}],
        "endTime": deadline, "positions": 2, "languages": ["en"], "remote": True,
        "state": "open",
    }  # fmt: skip
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{call}/activity",
            "type": "Create", "actor": project, "published": published, "to": [PUBLIC],
            "cc": [f"{project}/followers"], "object": note}  # fmt: skip


def activity(
    kind: str, n: int, actors: list[RemoteActor], project: RemoteActor, local: Local,
    published: str,
) -> tuple[RemoteActor, dict[str, Any]]:  # fmt: skip
    """The n-th activity of the mix and the actor who signs it."""
    actor = actors[n % len(actors)]
    other = actors[(n * 7 + 3) % len(actors)].uri
    target = local.objects[n % len(local.objects)]
    if kind == "note":
        return actor, create_note(actor.uri, n, published)
    if kind == "announce":
        return actor, _announce(actor.uri, n, other, published)
    if kind == "delete":
        return actor, _delete(actor.uri, n)
    if kind == "follow":
        member = local.members[n % len(local.members)]
        follow = {"@context": "https://www.w3.org/ns/activitystreams",
                  "id": f"{actor.uri}#follows/{n}", "type": "Follow", "actor": actor.uri,
                  "object": member}  # fmt: skip
        return actor, follow
    if kind == "reply":
        return actor, _reply(actor.uri, n, target, published)
    if kind == "like":
        like = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor.uri}#likes/{n}", "type": "Like", "actor": actor.uri,
                "object": target[0]}  # fmt: skip
        return actor, like
    return project, _call(project.uri, n, published)


def _sign_chunk(
    job: tuple[str, list[RemoteActor], RemoteActor, Local, list[str], int]
) -> list[tuple[bytes, str]]:  # fmt: skip
    url, actors, project, local, chunk, first = job
    now = datetime.now(UTC)
    published = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    keys: dict[str, Any] = {}
    out = []
    for offset, kind in enumerate(chunk):
        signer, body = activity(kind, first + offset, actors, project, local, published)
        key = keys.get(signer.uri) or keys.setdefault(signer.uri, signing_key(signer.private_pem))
        raw = raw_post(url, orjson.dumps(body), signer.key_id, key, now)
        out.append((raw, str(body["id"])))
    return out


def sign_mix(
    url: str, actors: list[RemoteActor], project: RemoteActor, local: Local, mix: list[str]
) -> list[tuple[bytes, str]]:
    """The signed POSTs of the mix (raw request, activity id), signed on every core."""
    workers = max(1, os.cpu_count() or 1)
    size = -(-len(mix) // (workers * 4))
    jobs = [(url, actors, project, local, mix[at : at + size], at)
            for at in range(0, len(mix), size)]  # fmt: skip
    with ProcessPoolExecutor(workers) as pool:
        return [item for chunk in pool.map(_sign_chunk, jobs) for item in chunk]
