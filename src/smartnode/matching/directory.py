"""The federated directory (docs/search.md): a search here also asks each trusted peer node
for its members who opted in to be found by the federation's other nodes.

Asking: one signed GET (our node actor's signature) per peer of the `peers` table, and to no
other host, all at once, within the node's deadline; a peer that has not answered by then, or
answered wrongly, is left out and named. Answering: only to a signer that is a trusted peer's
node actor, from our own index, with only local members whose `found_by_peers` opt-in is on.
Nothing is stored on either side: no node copies another's directory.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from markupsafe import escape
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.errors import Forbidden, Unauthorized
from smartnode.federation.fetch import Fetcher
from smartnode.matching.search import Filters, Hit, SearchPage, search
from smartnode.matching.search_vectors import SemanticSearch
from smartnode.storage.models import Actor, Peer, table
from smartnode.storage.models_matching import MatchingProfile
from smartnode.storage.models_search import SearchDocument

#: The peer-facing endpoint, on each node's origin.
PATH = "/api/smart/v1/directory"
log = logging.getLogger("smartnode.directory")
#: Results asked of each peer.
PEER_LIMIT = 20


@dataclass(slots=True)
class PeerAnswers:
    """What the trusted peers answered: their hits (each with its `origin`), who was asked,
    and who was left out (no answer within the deadline, or not a usable one)."""

    hits: list[Hit] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


class _PeerHit(BaseModel):
    """One result as a peer sends it; anything else in its answer is ignored."""

    kind: str = Field(max_length=16)
    uri: str = Field(max_length=2000)
    title: str = Field(max_length=500)
    snippet: str = Field(max_length=2000)
    language: str = Field(max_length=16)
    country: str = Field(max_length=2)
    remote: bool
    skills: list[str] = Field(max_length=100)
    languages: list[str] = Field(max_length=50)
    score: float
    updated_at: datetime


class _PeerPage(BaseModel):
    items: list[_PeerHit] = Field(max_length=50)


def found_by_peers() -> ColumnElement[bool]:
    """Condition on search documents: a local member who opted in to be found by peers."""
    docs, actors, profiles = table(SearchDocument), table(Actor), table(MatchingProfile)
    return exists().where(
        actors.c.uri == docs.c.uri,
        actors.c.local.is_(True),
        profiles.c.actor_id == actors.c.id,
        profiles.c.found_by_peers.is_(True),
    )


async def answer_peer(
    session: AsyncSession,
    signer_uri: str,
    q: str,
    filters: Filters,
    *,
    language: str,
    limit: int,
    semantic: SemanticSearch | None,
) -> SearchPage:
    """Our opted-in members matching `q` and `filters`, for the trusted peer whose node actor
    signed the request (Forbidden for any other signer)."""
    if await session.scalar(select(Peer.host).where(Peer.actor_uri == signer_uri)) is None:
        raise Forbidden("only the node actors of this node's trusted peers may search here")
    members = replace(filters, kinds=("member",), local=True, date_from=None, date_to=None)
    return await search(
        session, q, members, viewer_language=language, limit=limit, semantic=semantic,
        extra=[found_by_peers()],
    )  # fmt: skip


def peer_params(q: str, filters: Filters, language: str) -> list[tuple[str, str]] | None:
    """The query a peer is asked (its members only), or None when `filters` want no members."""
    if (filters.kinds and "member" not in filters.kinds) or filters.local:
        return None
    params = [("q", q), ("lang", language), ("limit", str(PEER_LIMIT))]
    params += [("skill", skill) for skill in filters.skills]
    if filters.country:
        params.append(("country", filters.country))
    if filters.language:
        params.append(("language", filters.language))
    if filters.remote is not None:
        params.append(("remote", "true" if filters.remote else "false"))
    return params


def _peer_hit(found: _PeerHit, host: str, origin: str) -> Hit | None:
    """A peer's result as ours, if it names one of the peer's own members (else dropped)."""
    parts = urlsplit(found.uri)
    if found.kind != "member" or f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    snippet = str(escape(html.unescape(found.snippet)))  # escaped here, whatever it sent
    return Hit(
        kind="member", uri=found.uri, title=found.title, snippet=snippet, language=found.language,
        country=found.country, remote=found.remote, local=False, skills=found.skills,
        languages=found.languages, score=round(found.score, 4), updated_at=found.updated_at,
        origin=host,
    )  # fmt: skip


async def _ask(
    fetcher: Fetcher, signer: httpx.Auth, peer: Peer, params: list[tuple[str, str]]
) -> list[Hit]:
    parts = urlsplit(peer.actor_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    url = str(httpx.URL(origin + PATH, params=params))
    fetched = await fetcher.call_json(url, auth=signer)
    page = _PeerPage.model_validate(fetched.data)
    return [hit for found in page.items if (hit := _peer_hit(found, peer.host, origin))]


async def _collect(
    peers: list[Peer], tasks: list[asyncio.Task[list[Hit]]], deadline: float
) -> PeerAnswers:
    """What the peers' requests found by the deadline; the others are cancelled, left out."""
    answers = PeerAnswers(asked=[p.host for p in peers])
    if tasks:
        await asyncio.wait(tasks, timeout=max(deadline, 0.0))
    for peer, task in zip(peers, tasks, strict=True):
        if not task.done():
            task.cancel()
        elif task.exception() is None:
            answers.hits += task.result()
            continue
        else:
            log.info("directory: peer %s left out: %s", peer.host, task.exception())
        answers.left_out.append(peer.host)
    await asyncio.gather(*tasks, return_exceptions=True)  # the cancelled ones end here
    return answers


@dataclass(frozen=True, slots=True)
class Asking:
    """How this node asks its peers: its fetcher, its node actor's signer, the deadline (s)."""

    fetcher: Fetcher
    signer: httpx.Auth
    deadline: float


async def federated_search(
    session: AsyncSession,
    asking: Asking,
    q: str,
    filters: Filters,
    *,
    language: str,
    limit: int,
    semantic: SemanticSearch | None,
) -> tuple[SearchPage, PeerAnswers]:
    """Our search's first page merged with what the trusted peers found (their members who
    opted in), each peer asked at once and waited for until the deadline."""
    started = asyncio.get_running_loop().time()
    params = peer_params(q, filters, language)
    peers = list(await session.scalars(select(Peer).order_by(Peer.host))) if params else []
    tasks = [asyncio.create_task(_ask(asking.fetcher, asking.signer, p, params or []))
             for p in peers]  # fmt: skip
    try:
        page = await search(session, q, filters, viewer_language=language, limit=limit,
                            semantic=semantic)  # fmt: skip
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    spent = asyncio.get_running_loop().time() - started
    answers = await _collect(peers, tasks, asking.deadline - spent)
    page.hits = merge(page.hits, answers.hits)
    page.total += len(answers.hits)
    return page, answers


def merge(local: Sequence[Hit], remote: Sequence[Hit]) -> list[Hit]:
    """Ours and the peers' results in one list, best score first (ours first on a tie)."""
    both = [(hit, 0) for hit in local] + [(hit, 1) for hit in remote]
    return [hit for hit, _ in sorted(both, key=lambda pair: (-pair[0].score, pair[1]))]


def may_ask_peers(principal: Principal) -> None:
    """Only a caller with a token (a member, an app, the admin) makes us ask the peers."""
    if principal.kind == "anonymous":
        raise Unauthorized("searching the other nodes needs a token: 'Authorization: Bearer …'")
