"""Reading a peer's board for a back-fill: its node actor's `board` collection, walked page by
page (bounded), and the items we may store from it. No database here.

Rules: the node actor, the collection and every page are fetched from the peer's own origin
(a redirect elsewhere stops the walk); an item counts only when it is an embedded object whose
id and author are on that origin (that origin's own answer vouches for it, as for an object an
actor embeds from its own origin), and a public open call or a public upcoming event.
Anything else is dropped and never fetched: a peer lists only its own calls and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from smartnode.content.audience import visibility_of
from smartnode.content.call_terms import read_terms
from smartnode.content.inputs import Visibility
from smartnode.content.notes_from_ap import BadNote, RemoteNote, note_from_ap
from smartnode.content.terms import CALL, EVENT
from smartnode.federation.fetch import FetchBudget, FetchedDocument, Fetcher
from smartnode.federation.vocab import as_list, id_of
from smartnode.inbox.context import origin_of

MAX_PAGES = 10
MAX_ITEMS = 500
#: The node actor, the collection root, and its pages.
MAX_FETCHES = MAX_PAGES + 4


class NoBoard(Exception):
    """The peer publishes no board we may read (an older node, or one on another origin)."""


@dataclass
class BoardRead:
    """What a back-fill found: the items it may store and how many it dropped."""

    notes: list[RemoteNote] = field(default_factory=list)
    dropped: int = 0


def board_note(item: Any, origin: str, now: datetime) -> RemoteNote | None:
    """A board item we may store, or None (pure)."""
    if not isinstance(item, dict):
        return None  # an id alone would need a fetch: a peer embeds its own items
    try:
        note = note_from_ap(item, now)
    except BadNote:
        return None
    if origin_of(note.uri) != origin or origin_of(note.attributed_to) != origin:
        return None
    if visibility_of(note.to, note.cc, None) is not Visibility.PUBLIC:
        return None
    if note.terms.kind == CALL:
        terms = read_terms(note.terms.extra, state=note.terms.state,
                           closes_at=note.terms.closes_at)  # fmt: skip
        return note if terms.is_open(now) else None
    if note.terms.kind == EVENT:
        ends = note.terms.ends_at or note.terms.starts_at
        return note if ends is not None and ends >= now else None
    return None


async def _fetch(
    fetcher: Fetcher, url: str, origin: str, signer: httpx.Auth | None, budget: FetchBudget
) -> FetchedDocument:
    fetched = await fetcher.fetch_json(url, signer=signer, budget=budget)
    if origin_of(fetched.url_final) != origin:
        raise NoBoard(f"{url} led to another origin ({origin_of(fetched.url_final)})")
    return fetched


async def read_board(
    fetcher: Fetcher, signer: httpx.Auth | None, actor_uri: str, now: datetime
) -> BoardRead:
    """The storable items of a peer's board; FetchError when the peer cannot be read now."""
    origin, budget = origin_of(actor_uri), FetchBudget(MAX_FETCHES)
    actor = await _fetch(fetcher, actor_uri, origin, signer, budget)
    board_uri = id_of(actor.data.get("board"))
    if board_uri is None or origin_of(board_uri) != origin:
        raise NoBoard("its node actor lists no board on its own origin")
    root = (await _fetch(fetcher, board_uri, origin, signer, budget)).data
    items, seen = list(as_list(root.get("orderedItems"))), {board_uri}
    page_uri = id_of(root.get("first"))
    for _ in range(MAX_PAGES):
        if page_uri is None or page_uri in seen or len(items) >= MAX_ITEMS:
            break
        if origin_of(page_uri) != origin:
            break  # a page elsewhere is not the peer's word
        seen.add(page_uri)
        page = (await _fetch(fetcher, page_uri, origin, signer, budget)).data
        items.extend(as_list(page.get("orderedItems"))[: MAX_ITEMS - len(items)])
        page_uri = id_of(page.get("next"))
    found = BoardRead()
    for item in items[:MAX_ITEMS]:
        note = board_note(item, origin, now)
        if note is None:
            found.dropped += 1
        else:
            found.notes.append(note)
    return found
